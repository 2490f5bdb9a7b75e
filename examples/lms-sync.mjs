// @ts-check
// What an LMS integration does with @school-licenses/sdk: receive the API's webhooks, sync its
// roster (a OneRoster 1.2 CSV set, dry run first), make sure every student of a school holds a
// license of a product (reusing started licenses first, choosing their end dates), then catch up
// on everything else through the change feed.
//
//   LICENSES_API_URL=http://127.0.0.1:4000/graphql LICENSES_API_TOKEN=slk_… node lms-sync.mjs
//
// Optional: SCHOOL (default Ekskolan), PRODUCT (default "Matematik 7 Digital"), ROSTER_DIR (the
// OneRoster set to sync, default ./roster), CURSOR_FILE (where the change feed's cursor is kept
// between runs, default .lms-sync-cursor), WEBHOOK_FILE (the registered endpoint and its secret,
// default .lms-sync-webhook.json), WEBHOOK_HOST and WEBHOOK_PORT (where the receiver listens,
// default any free port on 127.0.0.1), WEBHOOK_URL (the URL the API posts to, default the
// receiver's), WEBHOOK_WAIT_MS (how long to wait for the webhooks of this run's assignments,
// default 15000). The API must be allowed to reach the receiver: a public URL, or
// WEBHOOKS_ALLOW_PRIVATE=true as in the demo.
// Exits 1 when the roster is refused or a student could not be given a license.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLicenseClient, LicenseApiError, SchoolDocument, verifyWebhook } from '@school-licenses/sdk';

const url = process.env.LICENSES_API_URL ?? 'http://127.0.0.1:4000/graphql';
const token = process.env.LICENSES_API_TOKEN;
if (!token) {
  console.error('set LICENSES_API_TOKEN to an API key or a user token');
  process.exit(2);
}
const client = createLicenseClient({ url, token });
const schoolName = process.env.SCHOOL ?? 'Ekskolan';
const productName = process.env.PRODUCT ?? 'Matematik 7 Digital';

process.on('uncaughtExceptionMonitor', (error) => {
  if (error instanceof LicenseApiError) console.error(`the API refused the request (${error.kind}${error.code ? `, ${error.code}` : ''})`);
});

/** @param {string} iso */
const day = (iso) => iso.slice(0, 10);

// 1. A webhook receiver: the API tells us of license changes as they happen. It verifies each
// delivery's signature over the raw body and handles each event once (delivery is at least once).
const webhookFile = process.env.WEBHOOK_FILE ?? '.lms-sync-webhook.json';
/** @type {{ id: string; url: string; secret: string } | null} */
let webhook = await readFile(webhookFile, 'utf8').then(
  (text) => JSON.parse(text),
  () => null,
);
/** @type {Set<string>} the event ids handled, to drop repeated deliveries */
const handled = new Set();
/** @type {Map<string, string>} license id → event id, of the license.assigned events received */
const assignedByWebhook = new Map();
/** @type {(() => void) | null} */
let onWebhook = null;
const receiver = createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/webhooks/licenses') return void response.writeHead(404).end();
  /** @type {Buffer[]} */
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let event;
    try {
      if (!webhook) throw new Error('no endpoint registered yet');
      event = verifyWebhook(webhook.secret, body, request.headers);
    } catch (error) {
      console.log(`webhook refused: ${/** @type {Error} */ (error).message}`);
      return void response.writeHead(400).end();
    }
    // Answer at once; the work happens after (a slow answer counts as a failed delivery).
    response.writeHead(204).end();
    if (handled.has(event.data.id)) return void console.log(`webhook: ${event.type} ${event.data.id} again: already handled`);
    handled.add(event.data.id);
    console.log(`webhook: ${event.type} ${event.data.id} verified`);
    if (event.type === 'license.assigned' && event.data.license) assignedByWebhook.set(event.data.license, event.data.id);
    onWebhook?.();
  });
});
const host = process.env.WEBHOOK_HOST ?? '127.0.0.1';
receiver.listen(Number(process.env.WEBHOOK_PORT ?? 0), host);
await once(receiver, 'listening');
const address = /** @type {import('node:net').AddressInfo} */ (receiver.address());
const webhookUrl = process.env.WEBHOOK_URL ?? `http://${host}:${address.port}/webhooks/licenses`;
console.log(`webhooks: listening on ${host}:${address.port}`);
// Register the endpoint once; a new URL replaces the one registered before.
if (webhook?.url !== webhookUrl) {
  if (webhook) await client.deleteWebhookEndpoint({ endpoint: webhook.id }); // NOT_FOUND: already gone
  const created = await client.createWebhookEndpoint({ url: webhookUrl, kinds: ['LICENSE_ASSIGNED', 'LICENSE_REVOKED', 'LICENSE_EXPIRED'] });
  if (!created.ok) throw new Error(`could not register ${webhookUrl}: ${created.code}: ${created.message}`);
  webhook = { id: created.endpoint.id, url: webhookUrl, secret: created.secret };
  await writeFile(webhookFile, JSON.stringify(webhook));
  console.log(`webhooks: registered ${webhookUrl}`);
}

// 2. The schools this key sees, and what each can assign.
let school = null;
for await (const each of client.schools()) {
  console.log(`school: ${each.name} (${each.organisation.name})`);
  const { school: detail } = await client.query(SchoolDocument, { id: each.id });
  for (const { product, availability } of detail?.products ?? []) {
    const pool = availability.reusable;
    console.log(
      `  ${product.name}: ${availability.assignable} assignable (${availability.newLicenses} new, ${pool.total} reusable` +
        `${pool.endDates.length ? ` ending ${pool.endDates.map((e) => `${day(e.endDate)}×${e.count}`).join(', ')}` : ''})`,
    );
  }
  if (each.name === schoolName) school = { ...each, products: detail?.products ?? [] };
}
if (!school) throw new Error(`no school named ${schoolName}`);
const product = school.products.find((p) => p.product.name === productName)?.product;
if (!product) throw new Error(`${schoolName} has no licenses of ${productName}`);

// 3. The roster: the student information system's OneRoster export. A dry run shows what would
// change and writes nothing; the real run applies it. The same files again change nothing.
const rosterDir = process.env.ROSTER_DIR ?? fileURLToPath(new URL('./roster/', import.meta.url));
const files = await Promise.all(
  (await readdir(rosterDir))
    .filter((name) => name.endsWith('.csv'))
    .map(async (name) => new File([await readFile(join(rosterDir, name))], name, { type: 'text/csv' })),
);
/** @param {import('@school-licenses/sdk').RosterImportReport} report */
const counts = ({ summary }) =>
  Object.entries(summary)
    .map(([kind, { created, updated, ended }]) => `${kind} +${created} ~${updated} -${ended}`)
    .join(', ');
for (const dryRun of [true, false]) {
  const result = await client.importRoster({ organisation: school.organisation.id, format: 'ONEROSTER_CSV', files, dryRun });
  if (!result.ok) throw new Error(`roster import refused: ${result.code}: ${result.message}`);
  if (result.refused) {
    for (const e of result.recordErrors) console.log(`roster error: ${e.file}${e.line ? `:${e.line}` : ''} ${e.field ?? ''} ${e.code}: ${e.message}`);
    console.log('roster: refused, nothing written');
    // Stop here: the steps below would assign licenses by a roster the school's system does not have.
    process.exit(1);
  }
  if (dryRun && result.changes.length === 0) {
    console.log('roster: in step, nothing to apply');
    break;
  }
  console.log(`roster ${dryRun ? 'dry run' : 'applied'} (${result.mode}): ${counts(result)}; ${result.revokedLicenses} license(s) of leavers revoked`);
}

// 4. The students without a license of the product.
const holders = new Set();
for await (const license of client.licenses({ school: school.id, product: product.id, assigned: true })) {
  if (license.holder) holders.add(license.holder.id);
}
const students = [];
for await (const member of client.members({ school: school.id, role: 'STUDENT' })) {
  if (!holders.has(member.user.id)) students.push(member.user);
}
console.log(`${students.length} student(s) of ${schoolName} without ${productName}`);

// 5. Give each one a license: a reused started one with the most time left, else a new one.
const summary = { reused: 0, new: 0, skipped: 0, failed: 0 };
/** @type {string[]} the licenses this run assigned */
const assigned = [];
for (const student of students) {
  /** @type {string | null} */
  let endDate = null;
  let reuseStarted = true;
  let outcome = 'failed';
  for (let attempt = 1; attempt <= 4; attempt++) {
    const result = await client.assignLicense({ school: school.id, product: product.id, user: student.id, reuseStarted, endDate });
    if (result.ok) {
      outcome = reuseStarted ? 'reused' : 'new';
      assigned.push(result.license.id);
      console.log(`assigned ${student.name}: ${reuseStarted ? 'reused' : 'new'} license ending ${day(result.license.endDate ?? '')}`);
      break;
    }
    switch (result.code) {
      case 'END_DATE_REQUIRED':
      case 'END_DATE_NOT_AVAILABLE': {
        // Several end dates (or the chosen one is gone): take the one with the most time left.
        const latest = result.availableEndDates.at(-1);
        console.log(`  ${result.code} for ${student.name}: choosing ${latest ? day(latest.endDate) : 'a new license'}`);
        if (latest) endDate = latest.endDate;
        else reuseStarted = false;
        continue;
      }
      case 'NO_LICENSE_AVAILABLE':
        if (reuseStarted) {
          console.log(`  no reusable license left for ${student.name}: starting a new one`);
          reuseStarted = false;
          endDate = null;
          continue;
        }
        console.log(`could not assign ${student.name}: ${result.message}`);
        break;
      case 'USER_ALREADY_HAS_LICENSE':
        outcome = 'skipped';
        console.log(`skipped ${student.name}: already holds a license`);
        break;
      default:
        // FORBIDDEN, USER_NOT_IN_SCHOOL, …: report and go on with the next student.
        console.log(`could not assign ${student.name}: ${result.code}: ${result.message}`);
    }
    break;
  }
  summary[/** @type {keyof typeof summary} */ (outcome)]++;
}

console.log(
  `summary: ${summary.reused + summary.new} assigned (${summary.reused} reused, ${summary.new} new), ${summary.skipped} skipped, ${summary.failed} failed`,
);
if (summary.failed) process.exitCode = 1;

// 6. The webhooks of this run's assignments, as the API sends them (within a second or two).
const waitMs = Number(process.env.WEBHOOK_WAIT_MS ?? 15_000);
const confirmed = () => assigned.filter((license) => assignedByWebhook.has(license)).length;
const deadline = Date.now() + waitMs;
while (confirmed() < assigned.length && Date.now() < deadline) {
  await new Promise((resolve) => {
    onWebhook = () => resolve(undefined);
    setTimeout(resolve, Math.min(500, deadline - Date.now()));
  });
}
console.log(`webhooks: ${confirmed()} of ${assigned.length} assignment(s) confirmed`);
receiver.close();

// 7. What changed since the last run, by anyone: the change feed from the cursor kept last time.
// Events a webhook already told are in it too: skip them by id, as the receiver does.
const cursorFile = process.env.CURSOR_FILE ?? '.lms-sync-cursor';
/** @type {string | null} */
let after = await readFile(cursorFile, 'utf8').then(
  (text) => text.trim() || null,
  () => null,
);
let seen = 0;
try {
  for await (const { cursor, event } of client.events({ after })) {
    seen++;
    console.log(`event: ${event.type} ${event.id} at ${event.createdAt} by ${event.actor}${handled.has(event.id) ? ' (had by webhook)' : ''}`);
    after = cursor;
  }
} catch (error) {
  // Away longer than the feed keeps events (EVENT_RETENTION_DAYS): what we missed may be gone.
  if (!(error instanceof LicenseApiError && error.code === 'CURSOR_EXPIRED')) throw error;
  // Steps 2 to 5 just read the current state afresh: skip to the feed's end and go on from there.
  for await (const { cursor } of client.events({ pageSize: 100 })) after = cursor;
  console.log('the feed no longer has the events after our cursor: resynced from the current state');
}
console.log(`${seen} event(s) since the last run`);
if (after) await writeFile(cursorFile, after);
