// Only puts the schema together: every type lives in its own file.
import { isObjectType, lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.ts';
import './errors.ts';
import './enums.ts';
import './organisation.ts';
import './school.ts';
import './school-membership.ts';
import './group.ts';
import './group-membership.ts';
import './school-product.ts';
import './product.ts';
import './user.ts';
import './license.ts';
import './assignment.ts';
import './order.ts';
import './move-licenses.ts';
import './renewal.ts';
import './reservations.ts';
import './audit-event.ts';
import './notification.ts';
import './event.ts';
import './subscription.ts';
import './webhook.ts';
import './api-key.ts';
import './orders-to-deliver.ts';
import './viewer.ts';
import './roster-import.ts';
import './group-licensing.ts';
import './entitlement.ts';

builder.queryType({
  description: 'Read licenses, pools, orders and history. Every field needs a token.',
  authScopes: { authenticated: true },
});
builder.mutationType({
  description:
    "Buy, deliver, assign, revoke and reuse licenses; keep an organisation's roster and a supplier's catalogue. Business errors come back as typed data.",
  authScopes: { authenticated: true },
});

export const schema: GraphQLSchema = describeGenerated(builder.toSchema({ sortSchema: true }));

/** Describes what the plugins generate without a description option: totalCount, node(s) args. */
function describeGenerated(built: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(built.getTypeMap())) {
    if (!isObjectType(type)) continue;
    const totalCount = type.getFields().totalCount;
    if (totalCount && !totalCount.description) totalCount.description = 'How many items the list has in all, on every page.';
  }
  const query = built.getQueryType()?.getFields();
  for (const arg of [...(query?.node?.args ?? []), ...(query?.nodes?.args ?? [])]) {
    arg.description ??= 'Global IDs, as every object returns in its `id`.';
  }
  return built;
}

/** The SDL committed as schema.graphql. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
