// Query.entitlement: whether a user holds a product now, for an LMS at every launch (domain/entitlement.ts).
import { viewerToConfirm } from '../auth/confirmed-actor.ts';
import { entitlementOf, type Entitlement } from '../domain/entitlement.ts';
import { builder } from './builder.ts';
import { encodeId } from './global-ids.ts';
import { ProductRef } from './product.ts';
import { actorOf, readsOf } from './run.ts';
import { UserRef } from './user.ts';

const EntitlementRef = builder.objectRef<Entitlement>('Entitlement').implement({
  description: 'Whether a user holds a license of a product now.',
  fields: (t) => ({
    holds: t.exposeBoolean('holds', { description: 'True while a license of the product is assigned to the user and has not expired.' }),
    license: t.field({
      type: 'ID',
      nullable: true,
      description: 'The global ID of the license the user holds; null when none.',
      resolve: (entitlement) => (entitlement.licenseId ? encodeId('License', entitlement.licenseId) : null),
    }),
    endDate: t.field({
      type: 'LocalDate',
      nullable: true,
      description: 'The last day the license is usable (in the organisation time zone); null when none is held.',
      resolve: (entitlement) => entitlement.endDate,
    }),
    daysLeft: t.exposeInt('daysLeft', { nullable: true, description: 'Days the license is still usable, today included; null when none is held.' }),
  }),
});

builder.queryField('entitlement', (t) =>
  t.field({
    type: EntitlementRef,
    nullable: true,
    description:
      'Whether the user holds a license of the product now: the call an LMS makes at every launch. One statement after authentication. Null when the user is not yours to see.',
    args: {
      user: t.arg.globalID({ for: UserRef, required: true, description: 'The user.' }),
      product: t.arg.globalID({ for: ProductRef, required: true, description: 'The product.' }),
    },
    resolve: (_root, args, ctx) => entitlementOf(readsOf(ctx), ctx.clock.now(), actorOf(ctx), args.user.id, args.product.id, viewerToConfirm(ctx)),
  }),
);
