// `pnpm revoke-api-key --credential <id>`
// Revokes an API key (of an organisation or a supplier) by its credential id, which create-api-key
// printed, or by its ID as the API shows it: refused from its next request on, and its live
// subscriptions end on every instance.
import { systemClock } from '../clock.ts';
import { systemActor } from '../domain/actor.ts';
import { revokeApiKey } from '../domain/api-credentials.ts';
import { inTransaction } from '../domain/transaction.ts';
import { type Command, entityId, readOptions, runAsProcess, UsageError } from './run-command.ts';

const USAGE = 'usage: pnpm revoke-api-key --credential <id>';

function readArguments(args: string[]) {
  const { values } = readOptions(args, { credential: { type: 'string' } }, USAGE);
  if (!values.credential) throw new UsageError(`--credential is required; ${USAGE}`);
  return { credentialId: entityId('credential', values.credential, 'ApiKey') };
}

export const revokeApiKeyCommand: Command = async ({ args, console, openDatabase }) => {
  const input = readArguments(args);
  const database = await openDatabase();
  try {
    const { credential, revokedNow } = await inTransaction(database.prisma, (tx) => revokeApiKey(tx, systemClock, systemActor, input));
    console.log(
      !revokedNow
        ? `key "${credential.name}" (credential ${credential.id}) was already revoked at ${credential.revokedAt!.toISOString()}.`
        : `revoked key "${credential.name}" (credential ${credential.id}): it is refused from now on.`,
    );
  } finally {
    await database.close();
  }
};

if (import.meta.main) await runAsProcess(revokeApiKeyCommand);
