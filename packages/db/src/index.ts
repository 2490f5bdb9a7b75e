export {
  openDatabase,
  preparedStatementNames,
  statementTexts,
  transactionSql,
  withTransactionSql,
  type TransactionSql,
  defaultDataDir,
  DatabaseConfigError,
  DatabaseInUseError,
  type Database,
  type DatabaseKind,
  type DatabaseOptions,
  type ConnectRetryOptions,
} from './database.ts';
export { readMigrations, MigrationError, type MigrationReport } from './migrations/migrations.ts';
export { diffMigrationsToSchema } from './migrations/diff.ts';
export * from './generated/prisma/client.ts';
