// Bounds on what one GraphQL operation may ask for, checked before it runs (queries in mercurius's
// preExecution hook, subscriptions in preSubscriptionExecution): alias count (graphql-armor), cost
// (graphql-query-complexity: every field costs 1, a list field costs its page size times its
// children) and, through mercurius's queryDepth option, depth. Subscriptions per connection are
// counted in the connection's context.
import { GraphQLEnumType, GraphQLError, Kind, validate, type DocumentNode, type GraphQLSchema, type TypeNode } from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { errors } from '../errors/catalogue.ts';
import { asGraphqlError } from './errors.ts';

export const GRAPHQL_LIMITS = {
  depth: 8,
  aliases: 20,
  cost: 50_000,
  subscriptionsPerConnection: 10,
};

/** The most items a list field can return; fields with a size argument use it (defaults included). */
const LIST_SIZES: Record<string, (args: Record<string, unknown>) => number> = {
  'Query.jobs': (args) => Number(args.limit ?? 20),
  'Query.datasets': (args) => Number(args.limit ?? 20),
  'Job.metrics': (args) => Number(args.last ?? 100),
  // unpaged lists: bounded by what a job keeps (keepCheckpoints) or what clients usually create
  'Job.checkpoints': () => 100,
  'Job.embeddingSets': () => 50,
  'Job.evaluations': () => 50,
  'Dataset.labels': () => 100,
};

const listEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const size = LIST_SIZES[`${type.name}.${field.name}`];
  if (!size) return undefined;
  const n = size(args);
  return 1 + (Number.isFinite(n) && n > 0 ? n : 1) * Math.max(childComplexity, 1);
};

// refused before it ran: the client's error
const refusal = (err: ReturnType<typeof errors.TOO_MANY_ALIASES>, details: Record<string, number>) => asGraphqlError(err.with(details), 400);

function hasTooManyAliases(schema: GraphQLSchema, document: DocumentNode): boolean {
  let tooManyAliases = false;
  const onReject = [() => void (tooManyAliases = true)];
  validate(schema, document, [maxAliasesRule({ n: GRAPHQL_LIMITS.aliases, onReject, propagateOnRejection: false })]);
  return tooManyAliases;
}

/** The operation's cost, or undefined when its variables do not fit it (execution reports that in its own words). */
function costOf(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>): number | undefined {
  try {
    return getComplexity({ schema, query: document, variables, estimators: [listEstimator, simpleEstimator({ defaultComplexity: 1 })] });
  } catch (err) {
    if (err instanceof GraphQLError) return undefined;
    throw err;
  }
}

// mercurius's parse cache hands every request with the same query text the same DocumentNode, so a
// poll loop's operation is walked once, not on every request. Costs also depend on the variables:
// a few sets are kept per document (a poll loop sends the same ones), then the memo starts over.
const MEMO_VARIABLE_SETS = 32;
const aliasMemo = new WeakMap<DocumentNode, boolean>();
const costMemo = new WeakMap<DocumentNode, Map<string, number | undefined>>();

function memoized<T>(memo: Map<string, T>, key: string, compute: () => T): T {
  if (memo.has(key)) return memo.get(key) as T;
  if (memo.size >= MEMO_VARIABLE_SETS) memo.clear();
  const value = compute();
  memo.set(key, value);
  return value;
}

/** Throws a coded 400 when the operation is over a limit; lets anything else through to execution. */
export function checkOperationLimits(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined) {
  let tooManyAliases = aliasMemo.get(document);
  if (tooManyAliases === undefined) aliasMemo.set(document, (tooManyAliases = hasTooManyAliases(schema, document)));
  if (tooManyAliases) {
    throw refusal(errors.TOO_MANY_ALIASES(GRAPHQL_LIMITS.aliases), { maxAliases: GRAPHQL_LIMITS.aliases });
  }
  let costs = costMemo.get(document);
  if (!costs) costMemo.set(document, (costs = new Map()));
  const vars = variables ?? {};
  const cost = memoized(costs, JSON.stringify(vars), () => costOf(schema, document, vars));
  if (cost !== undefined && cost > GRAPHQL_LIMITS.cost) {
    throw refusal(errors.QUERY_TOO_COMPLEX(cost, GRAPHQL_LIMITS.cost), {
      cost,
      maxCost: GRAPHQL_LIMITS.cost,
    });
  }
}

const namedType = (type: TypeNode): string => (type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type));

/**
 * Variables as large as the schema lets them be, for costing an operation whose variables are not at
 * hand (mercurius gives subscription hooks none): every Int is taken at the largest page size.
 */
export function worstCaseVariables(schema: GraphQLSchema, document: DocumentNode): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const v of definition.variableDefinitions ?? []) {
      const name = namedType(v.type);
      const type = schema.getType(name);
      const value = name === 'Int' || name === 'Float' ? 10_000 : name === 'Boolean' ? true : type instanceof GraphQLEnumType ? type.getValues()[0]?.value : 'x';
      const list = v.type.kind === Kind.LIST_TYPE || (v.type.kind === Kind.NON_NULL_TYPE && v.type.type.kind === Kind.LIST_TYPE);
      variables[v.variable.name.value] = list ? [value] : value;
    }
  }
  return variables;
}

/** A connection's count of live subscriptions; shared by every operation on that connection. */
export interface SubscriptionSlots {
  active: number;
}

/** Takes a slot or refuses; the returned function gives it back (once). */
export function takeSubscriptionSlot(slots: SubscriptionSlots | undefined): () => void {
  if (!slots) return () => {};
  if (slots.active >= GRAPHQL_LIMITS.subscriptionsPerConnection) {
    throw refusal(errors.TOO_MANY_SUBSCRIPTIONS(GRAPHQL_LIMITS.subscriptionsPerConnection), {
      maxSubscriptions: GRAPHQL_LIMITS.subscriptionsPerConnection,
    });
  }
  slots.active += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    slots.active -= 1;
  };
}
