// The demo story, written through the same domain functions the API uses, with a clock that
// walks from 20 months ago to now. It leaves licenses in every state: new, started and assigned,
// reusable with several end dates, past the auto-start deadline (not yet swept), auto-starting
// soon, expired; a delayed order awaiting delivery, a delivered one with notifications, an
// unredeemed activation link, and a teacher (Tove, the demo's teacher token) holding a license she
// may give back.
import { createHmac } from 'node:crypto';
import type { PrismaClient } from '@school-licenses/db';
import type { GraphiQLOptions } from 'graphql-yoga';
import { apiKeyActor, createApiKey, hashApiKey, signUserToken, userActor, type AuthConfig } from '../auth/authenticate.ts';
import { addMonths, ManualClock, type Clock } from '../clock.ts';
import type { Tx } from '../domain/actor.ts';
import { dayAt, DEFAULT_TIME_ZONE } from '../domain/days.ts';
import { assignLicense, removeMyLicense, revokeLicense } from '../domain/assignments.ts';
import { createActivationLink, deliverOrder, hashToken, placeOrder } from '../domain/orders.ts';
import { demoOperations } from './demo-operations.ts';

/** Fixed demo API keys: known to everyone, so only ever for the demo. */
export const DEMO_KEYS = {
  integration: 'slk_demo_lms_integration_read_write',
  supplier: 'slk_demo_supplier_bokforlaget_nord',
  activationSupplier: 'slk_demo_supplier_appstudio',
} as const;

/** The name of Nordstad's key that the API key tab revokes. */
const RETIRED_KEY_NAME = 'Gamla lärplattformen';

export const DEMO_USERS = {
  organisationAdmin: 'olivia.admin@nordstad.example',
  schoolAdmin: 'sara.admin@ekskolan.example',
  teacher: 'tove.teacher@ekskolan.example',
  student: 'saga.student@ekskolan.example',
  otherOrganisationAdmin: 'oskar.admin@sjostad.example',
} as const;

export interface DemoData {
  tokens: Record<keyof typeof DEMO_USERS, string>;
  keys: typeof DEMO_KEYS;
  ids: {
    /** Nordstad kommun, the organisation of the LMS key, for the roster-sync tab. */
    nordstad: string;
    ekskolan: string;
    /** Nordstad's other school, for the tab that moves licenses between schools. */
    bjorkskolan: string;
    /** Ekskolan's class 7A, for the class licensing, renewal and reservation tabs. */
    class7A: string;
    matematik: string;
    /** Engelska Plus, delivered later by its supplier (DELAYED). */
    engelska: string;
    awaitingOrder: string;
    studentWithoutLicense: string;
    /** A license someone holds now, for the revoke tab. */
    heldLicense: string | null;
    /** The license the demo's teacher (Tove) holds, for the removeMyLicense tab. */
    heldByTeacher: string | null;
    /** Nordstad's key for a learning platform it no longer uses, for the tab that revokes a key. */
    retiredApiKey: string | null;
  };
  /** The Kemilabbet activation link's token: the same at every start (demoActivationToken). */
  activationToken: string;
}

/**
 * The demo's activation link token, derived from the demo's JWT secret: the link seeded once
 * still works, and is still printed, after a restart. Only ever for the demo.
 */
export function demoActivationToken(auth: AuthConfig): string {
  const secret = auth.jwtSecret ?? 'demo without a JWT secret';
  return `act_demo_${createHmac('sha256', secret).update('Kemilabbet activation link').digest('base64url').slice(0, 32)}`;
}

/** Seeds the demo story into an empty database, then returns how to act as each demo role. */
export async function ensureDemoData(prisma: PrismaClient, clock: Clock, auth: AuthConfig, log: (message: string) => void = () => {}): Promise<DemoData> {
  if ((await prisma.organisation.count()) === 0) {
    log('seeding demo data…');
    await seedDemo(prisma, clock.now(), demoActivationToken(auth), log);
    log('demo data seeded');
  }
  const demo = await describeDemo(prisma, clock, auth, demoActivationToken(auth));
  printDemo(demo, log);
  return demo;
}

/** All of the story in one transaction: a failure leaves the database empty, to try again. */
function seedDemo(client: PrismaClient, now: Date, activationToken: string, log: (message: string) => void): Promise<void> {
  return client.$transaction((tx) => seedStory(tx, now, activationToken, log), { timeout: 300_000, maxWait: 10_000 });
}

async function seedStory(prisma: Tx, now: Date, activationToken: string, log: (message: string) => void): Promise<void> {
  const clock = new ManualClock(addMonths(now, -20));
  const at = (monthsAgo: number, days = 0) => {
    const moment = addMonths(now, -monthsAgo);
    moment.setUTCDate(moment.getUTCDate() + days);
    clock.set(moment);
  };
  const run = <T>(work: (tx: Tx) => Promise<T>) => work(prisma);

  const nordstad = await prisma.organisation.create({ data: { name: 'Nordstad kommun', createdAt: clock.now() } });
  const sjostad = await prisma.organisation.create({ data: { name: 'Sjöstad kommun', createdAt: clock.now() } });
  const ekskolan = await prisma.school.create({ data: { name: 'Ekskolan', organisationId: nordstad.id, schoolUnitCode: '20000001' } });
  const bjorkskolan = await prisma.school.create({ data: { name: 'Björkskolan', organisationId: nordstad.id, schoolUnitCode: '20000002' } });
  const strandskolan = await prisma.school.create({ data: { name: 'Strandskolan', organisationId: sjostad.id, schoolUnitCode: '30000001' } });

  const person = async (
    name: string,
    email: string,
    organisationId: string,
    memberships: [string, 'STUDENT' | 'TEACHER' | 'SCHOOL_ADMIN'][],
    isOrganisationAdmin = false,
  ) =>
    prisma.user.create({
      data: { name, email, organisationId, isOrganisationAdmin, memberships: { create: memberships.map(([schoolId, role]) => ({ schoolId, role })) } },
    });
  await person('Olivia Organisationsadmin', DEMO_USERS.organisationAdmin, nordstad.id, [], true);
  const sara = await person('Sara Skoladmin', DEMO_USERS.schoolAdmin, nordstad.id, [[ekskolan.id, 'SCHOOL_ADMIN']]);
  await person('Bo Skoladmin', 'bo.admin@bjorkskolan.example', nordstad.id, [[bjorkskolan.id, 'SCHOOL_ADMIN']]);
  const tove = await person('Tove Lärare', DEMO_USERS.teacher, nordstad.id, [[ekskolan.id, 'TEACHER']]);
  const theo = await person('Theo Lärare', 'theo.teacher@ekskolan.example', nordstad.id, [[ekskolan.id, 'TEACHER']]);
  const studentNames = ['Saga', 'Sixten', 'Selma', 'Sam', 'Signe', 'Sebastian', 'Stina', 'Svante', 'Siri', 'Sune'];
  const students: { id: string }[] = [];
  for (const name of studentNames) {
    const email = name === 'Saga' ? DEMO_USERS.student : `${name.toLowerCase()}.student@ekskolan.example`;
    students.push(await person(`${name} Elev`, email, nordstad.id, [[ekskolan.id, 'STUDENT']]));
  }
  // Ekskolan's class 7A: its students and Tove, their teacher.
  await prisma.group.create({
    data: {
      organisationId: nordstad.id,
      schoolId: ekskolan.id,
      name: '7A',
      kind: 'CLASS',
      schoolYear: 7,
      externalId: 'demo-7a',
      memberships: { create: [...students.map((s) => ({ userId: s.id, role: 'STUDENT' as const })), { userId: tove.id, role: 'TEACHER' as const }] },
    },
  });
  await person('Björn Elev', 'bjorn.student@bjorkskolan.example', nordstad.id, [[bjorkskolan.id, 'STUDENT']]);
  await person('Oskar Admin', DEMO_USERS.otherOrganisationAdmin, sjostad.id, [[strandskolan.id, 'SCHOOL_ADMIN']]);

  const laromedia = await prisma.supplier.create({ data: { name: 'Läromedia' } });
  const nord = await prisma.supplier.create({ data: { name: 'Bokförlaget Nord' } });
  const appstudio = await prisma.supplier.create({ data: { name: 'AppStudio' } });
  const product = (name: string, supplierId: string, validityMonths: number, deliveryMode: 'DIRECT' | 'DELAYED' | 'ACTIVATION_EMAIL') =>
    prisma.product.create({ data: { name, supplierId, validityMonths, deliveryMode } });
  const matematik = await product('Matematik 7 Digital', laromedia.id, 12, 'DIRECT');
  const svenska = await product('Svenska Direkt', laromedia.id, 6, 'DIRECT');
  const noBoken = await product('NO-boken', laromedia.id, 12, 'DIRECT');
  const engelska = await product('Engelska Plus', nord.id, 12, 'DELAYED');
  const kemi = await product('Kemilabbet (app)', appstudio.id, 12, 'ACTIVATION_EMAIL');

  const keyData = (name: string, key: string, kind: 'ORGANISATION_READ_WRITE' | 'SUPPLIER', owner: { organisationId?: string; supplierId?: string }) => ({
    name,
    kind,
    keyHash: hashApiKey(key),
    createdAt: clock.now(),
    ...owner,
  });
  await prisma.apiCredential.createMany({
    data: [
      keyData('Demo LMS', DEMO_KEYS.integration, 'ORGANISATION_READ_WRITE', { organisationId: nordstad.id }),
      keyData('Bokförlaget Nord', DEMO_KEYS.supplier, 'SUPPLIER', { supplierId: nord.id }),
      keyData('AppStudio', DEMO_KEYS.activationSupplier, 'SUPPLIER', { supplierId: appstudio.id }),
    ],
  });
  // A key of a learning platform Nordstad no longer uses, for the tab that revokes one: the demo's
  // own keys keep working. Its key is random and shown to no one; nothing sends it.
  await createApiKey(prisma, clock, { name: RETIRED_KEY_NAME, kind: 'ORGANISATION_READ', organisationId: nordstad.id });

  const admin = await userActor(prisma, sara.id);
  const teacher = await userActor(prisma, tove.id);
  const supplier = await apiKeyActor(prisma, DEMO_KEYS.supplier);
  const activationSupplier = await apiKeyActor(prisma, DEMO_KEYS.activationSupplier);
  const order = (productId: string, quantity: number, preAssignUserIds: string[] = []) =>
    run((tx) => placeOrder(tx, clock, admin, { schoolId: ekskolan.id, productId, quantity, preAssignUserIds }));
  const assign = (productId: string, userId: string, reuseStarted = false, endDate: Date | null = null) =>
    run((tx) => assignLicense(tx, clock, admin, { schoolId: ekskolan.id, productId, userId, reuseStarted, endDate }));
  const revoke = (licenseId: string) => run((tx) => revokeLicense(tx, clock, admin, { licenseId }));
  const s = (i: number) => students[i]!.id;

  log('  an expired order of Svenska Direkt (20 months ago)…');
  at(20);
  await order(svenska.id, 4, [s(3)]);

  log('  Matematik 7: licenses started at different times, then revoked or given back…');
  at(10);
  await order(matematik.id, 12);
  at(9);
  await assign(matematik.id, s(0));
  const sixten = await assign(matematik.id, s(1));
  at(8);
  await revoke(sixten.license.id);
  at(7);
  const selma = await assign(matematik.id, s(2));
  at(7, 15);
  const toves = await assign(matematik.id, tove.id);
  at(2);
  await revoke(selma.license.id);
  at(1);
  await run((tx) => removeMyLicense(tx, clock, teacher, { licenseId: toves.license.id }));
  // The other 9 passed their auto-start deadline 6 months ago; no sweep has written that down.

  log('  new Matematik 7 licenses, some assigned…');
  at(1, -5);
  await order(matematik.id, 10, [s(4), s(5)]);
  at(0, -20);
  await assign(matematik.id, s(6));
  await assign(matematik.id, theo.id);

  log('  NO-boken licenses that auto-start within weeks…');
  at(3, -20);
  await order(noBoken.id, 5);

  log('  Engelska Plus: one delayed order delivered (Tove gets one), one awaiting the supplier…');
  at(0, -14);
  const delivered = await order(engelska.id, 8);
  at(0, -10);
  await run((tx) => deliverOrder(tx, clock, supplier, { orderId: delivered.id }));
  // Tove gave back her Matematik license; Sara gives her an Engelska Plus one, so the demo's
  // teacher token holds a license to give back. One of the delivered order's: the Matematik and
  // NO-boken counts of the story stay as they were.
  at(0, -7);
  await assign(engelska.id, tove.id);
  at(0, -3);
  await order(engelska.id, 25);

  log('  Kemilabbet: an activation link not yet redeemed…');
  at(0, -2);
  const kemiOrder = await order(kemi.id, 15);
  const link = await run((tx) => createActivationLink(tx, clock, activationSupplier, { orderId: kemiOrder.id, validForDays: 60 }));
  // The link's random token becomes the demo's fixed one, so it works after a restart too.
  await prisma.activationLink.updateMany({ where: { tokenHash: hashToken(link.token) }, data: { tokenHash: hashToken(activationToken) } });
}

async function describeDemo(prisma: PrismaClient, clock: Clock, auth: AuthConfig, activationToken: string): Promise<DemoData> {
  const tokens = {} as Record<keyof typeof DEMO_USERS, string>;
  for (const [role, email] of Object.entries(DEMO_USERS) as [keyof typeof DEMO_USERS, string][]) {
    const user = await prisma.user.findFirstOrThrow({ where: { email } });
    tokens[role] = auth.jwtSecret ? await signUserToken(auth, user.id, { now: clock.now() }) : '(set JWT_SECRET to sign demo tokens)';
  }
  const ekskolan = await prisma.school.findFirstOrThrow({ where: { name: 'Ekskolan' } });
  const bjorkskolan = await prisma.school.findFirstOrThrow({ where: { name: 'Björkskolan' } });
  const class7A = await prisma.group.findFirstOrThrow({ where: { schoolId: ekskolan.id, name: '7A' } });
  const matematik = await prisma.product.findFirstOrThrow({ where: { name: 'Matematik 7 Digital' } });
  const engelska = await prisma.product.findFirstOrThrow({ where: { name: 'Engelska Plus' } });
  const awaiting = await prisma.order.findFirst({ where: { productId: engelska.id, status: 'AWAITING_DELIVERY' } });
  const svante = await prisma.user.findFirstOrThrow({ where: { email: 'svante.student@ekskolan.example' } });
  // A license someone holds now, for the revoke tab (the latest assigned one that is still held).
  const held = await prisma.assignment.findFirst({
    where: { isActive: true, productId: matematik.id, schoolId: ekskolan.id, license: { endDate: { gte: dayAt(clock.now(), DEFAULT_TIME_ZONE) } } },
    orderBy: { assignedAt: 'desc' },
    select: { licenseId: true },
  });
  const retiredKey = await prisma.apiCredential.findFirst({
    where: { organisationId: ekskolan.organisationId, name: RETIRED_KEY_NAME },
    orderBy: { createdAt: 'asc' },
    select: { id: true },
  });
  const teachers = await prisma.assignment.findFirst({
    where: { isActive: true, user: { email: DEMO_USERS.teacher }, license: { endDate: { gte: dayAt(clock.now(), DEFAULT_TIME_ZONE) } } },
    orderBy: { assignedAt: 'desc' },
    select: { licenseId: true },
  });
  return {
    tokens,
    keys: DEMO_KEYS,
    ids: {
      nordstad: ekskolan.organisationId,
      ekskolan: ekskolan.id,
      bjorkskolan: bjorkskolan.id,
      class7A: class7A.id,
      engelska: engelska.id,
      matematik: matematik.id,
      awaitingOrder: awaiting?.id ?? '',
      studentWithoutLicense: svante.id,
      heldLicense: held?.licenseId ?? null,
      heldByTeacher: teachers?.licenseId ?? null,
      retiredApiKey: retiredKey?.id ?? null,
    },
    activationToken,
  };
}

/** The demo user roles, in the words the start command and the example app show them with. */
export const DEMO_ROLE_LABELS: Record<keyof typeof DEMO_USERS, string> = {
  organisationAdmin: 'organisation admin (Olivia, Nordstad)',
  schoolAdmin: 'school admin (Sara, Ekskolan)',
  teacher: 'teacher (Tove, Ekskolan)',
  student: 'student (Saga, Ekskolan)',
  otherOrganisationAdmin: 'admin of another organisation (Oskar)',
};

export interface DemoSession {
  roles: { role: keyof typeof DEMO_USERS; label: string; token: string }[];
}

/** The demo's user sign-ins: what DEMO_SESSION_FILE receives, for apps that offer them. */
export function demoSession(demo: DemoData): DemoSession {
  return {
    roles: (Object.keys(DEMO_USERS) as (keyof typeof DEMO_USERS)[]).map((role) => ({
      role,
      label: DEMO_ROLE_LABELS[role],
      token: demo.tokens[role],
    })),
  };
}

function printDemo(demo: DemoData, log: (message: string) => void): void {
  const line = (label: string, value: string) => log(`  ${`${label}:`.padEnd(41)}${value}`);
  log('');
  log('Demo roles: send `Authorization: Bearer <token>` (GraphiQL has a tab for each):');
  for (const { label, token } of demoSession(demo).roles) line(label, token);
  line('LMS integration API key (Nordstad)', demo.keys.integration);
  line('supplier API key (Bokförlaget Nord)', demo.keys.supplier);
  line('supplier API key (AppStudio)', demo.keys.activationSupplier);
  line('activation link token (Kemilabbet)', demo.activationToken);
  log('');
}

/** GraphiQL opens with tabs that walk the demo story, each with the right role's token. */
export function demoGraphiQL(demo: DemoData): GraphiQLOptions {
  const defaultTabs = demoOperations(demo).map((tab) => ({
    query: tab.query,
    variables: JSON.stringify(tab.variables, null, 2),
    headers: JSON.stringify({ Authorization: `Bearer ${tab.token}` }, null, 2),
  }));
  const first = defaultTabs[0];
  const options = {
    // Yoga's GraphiQL puts its `query` (a welcome text unless given), `variables` and
    // `defaultHeaders` into the first tab, whatever that tab holds: give it the tab's own.
    query: first?.query,
    variables: first?.variables,
    defaultHeaders: first?.headers,
    defaultTabs,
  };
  return options;
}
