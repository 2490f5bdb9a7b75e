// @ts-check
// What an LMS integration writes with @school-licenses/sdk: make sure every student of a school
// holds a license of a product, reusing started licenses first and choosing their end dates.
//
//   LICENSES_API_URL=http://127.0.0.1:4000/graphql LICENSES_API_TOKEN=slk_… node lms-sync.mjs
//
// Optional: SCHOOL (default Ekskolan), PRODUCT (default "Matematik 7 Digital"). Exits 1 when a
// student could not be given a license.
import { createLicenseClient, LicenseApiError, SchoolDocument } from '@school-licenses/sdk';

const url = process.env.LICENSES_API_URL ?? 'http://127.0.0.1:4000/graphql';
const token = process.env.LICENSES_API_TOKEN;
if (!token) {
  console.error('set LICENSES_API_TOKEN to an API key or a user token');
  process.exit(2);
}
const client = createLicenseClient({ url, token });
const schoolName = process.env.SCHOOL ?? 'Ekskolan';
const productName = process.env.PRODUCT ?? 'Matematik 7 Digital';

/** @param {string} iso */
const day = (iso) => iso.slice(0, 10);

// 1. The schools this key sees, and what each can assign.
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

// 2. The students without a license of the product.
const holders = new Set();
for await (const license of client.licenses({ school: school.id, product: product.id, assigned: true })) {
  if (license.holder) holders.add(license.holder.id);
}
const students = [];
for await (const member of client.members({ school: school.id, role: 'STUDENT' })) {
  if (!holders.has(member.user.id)) students.push(member.user);
}
console.log(`${students.length} student(s) of ${schoolName} without ${productName}`);

// 3. Give each one a license: a reused started one with the most time left, else a new one.
const summary = { reused: 0, new: 0, skipped: 0, failed: 0 };
for (const student of students) {
  /** @type {string | null} */
  let endDate = null;
  let reuseStarted = true;
  let outcome = 'failed';
  for (let attempt = 1; attempt <= 4; attempt++) {
    const result = await client.assignLicense({ school: school.id, product: product.id, user: student.id, reuseStarted, endDate });
    if (result.ok) {
      outcome = reuseStarted ? 'reused' : 'new';
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
process.exitCode = summary.failed ? 1 : 0;

process.on('uncaughtExceptionMonitor', (error) => {
  if (error instanceof LicenseApiError) console.error(`the API refused the request (${error.kind}${error.code ? `, ${error.code}` : ''})`);
});
