// The real API for the SDK's tests: a fresh database with the `standard` scenario (the demo story),
// reached in process through yoga's fetch or over a real HTTP port.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStandardScenario, tokenFor, type DemoData, type TestApi } from '@school-licenses/api/testing';
import { createLicenseClient, type LicenseClient, type LicenseClientOptions } from '../src/index.ts';

export type Transport = 'in process' | 'http';
export const TRANSPORTS: Transport[] = ['in process', 'http'];
export const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

export interface Story {
  test: TestApi;
  demo: DemoData;
  transport: Transport;
  url: string;
  /** Global IDs of the demo's main objects, found through the SDK. */
  ids: { ekskolan: string; matematik: string; svante: string };
  /** The global ID of a member of Ekskolan, by e-mail. */
  userId(email: string): Promise<string>;
  /** A client of the API as whoever holds `token`, over this story's transport. */
  client(token: string, options?: Partial<LicenseClientOptions>): LicenseClient;
  /** The fetch the client uses (yoga's, or the platform's over HTTP). */
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  tokenFor(email: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts the API with the demo story on a fresh database, reached by `transport`. */
export async function startStory(
  transport: Transport,
  start: () => ReturnType<typeof startStandardScenario> = () => startStandardScenario(),
  /** Options of every client of the story (e.g. `persisted`), unless a call overrides them. */
  defaults: Partial<LicenseClientOptions> = {},
): Promise<Story> {
  const { test, demo } = await start();
  let server: Server | undefined;
  let url = 'http://api.test/graphql';
  // yoga's own fetch: the request goes through the whole server, without a port.
  let fetchImpl: Story['fetch'] = (input, init) => Promise.resolve((test.api.fetch as typeof fetch)(input, init));
  if (transport === 'http') {
    server = createServer(test.api);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    fetchImpl = (input, init) => globalThis.fetch(input, init);
  }
  const story: Story = {
    test,
    demo,
    transport,
    url,
    fetch: fetchImpl,
    ids: { ekskolan: '', matematik: '', svante: '' },
    client: (token, options = {}) =>
      createLicenseClient({ url, token, ...(transport === 'in process' ? { fetch: fetchImpl } : {}), ...defaults, ...options } as LicenseClientOptions),
    async userId(email) {
      for await (const member of story.client(demo.tokens.schoolAdmin).members({ school: story.ids.ekskolan })) {
        if (member.user.email === email) return member.user.id;
      }
      throw new Error(`${email} is not a member of Ekskolan`);
    },
    tokenFor: (email) => tokenFor(test, email),
    async close() {
      if (server) {
        server.closeAllConnections();
        await new Promise((resolve) => server!.close(resolve));
      }
      await test.close();
    },
  };
  const admin = story.client(demo.tokens.schoolAdmin);
  for await (const school of admin.schools()) if (school.name === 'Ekskolan') story.ids.ekskolan = school.id;
  for await (const product of admin.products()) if (product.name === 'Matematik 7 Digital') story.ids.matematik = product.id;
  story.ids.svante = await story.userId('svante.student@ekskolan.example');
  return story;
}
