import { fileURLToPath } from 'node:url';

/** The committed SDL: what GraphiQL users, codegen and the SDK read. */
export const schemaFile = fileURLToPath(new URL('../../../../schema.graphql', import.meta.url));
