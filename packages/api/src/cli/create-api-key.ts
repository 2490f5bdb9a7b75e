// `pnpm create-api-key --name "Our LMS" --kind ORGANISATION_READ_WRITE --organisation <id>`
// `pnpm create-api-key --name "Supplier X" --kind SUPPLIER --supplier <uuid>`
// Creates an API key and prints it once: only its hash is stored, so it cannot be shown again.
import type { ApiCredentialKind } from '@school-licenses/db';
import { systemClock } from '../clock.ts';
import { issueApiKey } from '../domain/api-credentials.ts';
import { inTransaction } from '../domain/transaction.ts';
import { type Command, entityId, readOptions, runAsProcess, UsageError } from './run-command.ts';

const KINDS: ApiCredentialKind[] = ['ORGANISATION_READ', 'ORGANISATION_READ_WRITE', 'SUPPLIER'];
const USAGE =
  'usage: pnpm create-api-key --name <name> --kind ORGANISATION_READ|ORGANISATION_READ_WRITE --organisation <id>, or --kind SUPPLIER --supplier <uuid>';

function readArguments(args: string[]) {
  const { values } = readOptions(
    args,
    { name: { type: 'string' }, kind: { type: 'string' }, organisation: { type: 'string' }, supplier: { type: 'string' } },
    USAGE,
  );
  const kind = values.kind as ApiCredentialKind | undefined;
  if (!values.name?.trim()) throw new UsageError(`--name is required; ${USAGE}`);
  if (!kind || !KINDS.includes(kind)) throw new UsageError(`--kind must be one of ${KINDS.join(', ')}; ${USAGE}`);
  if (kind === 'SUPPLIER' ? !values.supplier || values.organisation : !values.organisation || values.supplier) {
    throw new UsageError(`${kind} keys need ${kind === 'SUPPLIER' ? '--supplier and no --organisation' : '--organisation and no --supplier'}; ${USAGE}`);
  }
  return {
    name: values.name,
    kind,
    organisationId: values.organisation ? entityId('organisation', values.organisation, 'Organisation') : null,
    supplierId: values.supplier ? entityId('supplier', values.supplier, 'Supplier') : null,
  };
}

export const createApiKey: Command = async ({ args, console, openDatabase }) => {
  const input = readArguments(args);
  const database = await openDatabase();
  try {
    const issued = await inTransaction(database.prisma, (tx) => issueApiKey(tx, systemClock, input));
    console.log(`created ${input.kind} key "${input.name}" for ${issued.owner} (credential ${issued.id}).`);
    console.log('The key is shown only now; store it as a secret and send it as Authorization: Bearer <key>:');
    console.log(issued.key);
  } finally {
    await database.close();
  }
};

if (import.meta.main) await runAsProcess(createApiKey);
