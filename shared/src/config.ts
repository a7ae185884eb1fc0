import { z } from 'zod';

/** Raised when the environment does not fit a service's schema; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses `env` with a zod object schema whose keys are the variable names. */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.join('.') || 'environment';
    return `${variable}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** Empty strings count as unset, as shells and compose files produce them. */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

const FLAG_VALUES = ['true', 'false', '1', '0', 'yes', 'no'] as const;

export const env = {
  /** `true`/`false` (also `1`/`0`, `yes`/`no`, any case). */
  flag: (fallback: boolean) =>
    z.preprocess(
      (value) => (typeof value === 'string' ? unsetIfEmpty(value.toLowerCase()) : value),
      z
        .enum(FLAG_VALUES, { message: 'must be true or false' })
        .optional()
        .transform((value) => (value === undefined ? fallback : ['true', '1', 'yes'].includes(value))),
    ),
  /** A secret sent as `Authorization: Bearer <token>`; messages about it never echo the value. */
  token: () =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^[\x21-\x7e]{1,4096}$/, 'must be 1-4096 printable ASCII characters without spaces')
        .optional(),
    ),
  port: (fallback: number) =>
    z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(65535).default(fallback)),
  nonNegativeInt: (fallback: number, max = Number.MAX_SAFE_INTEGER, why = '') =>
    z.preprocess(
      unsetIfEmpty,
      z.coerce
        .number()
        .int()
        .min(0)
        .max(max, `must be at most ${max}${why ? ` (${why})` : ''}`)
        .default(fallback),
    ),
  positiveInt: (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
    z.preprocess(
      unsetIfEmpty,
      z.coerce.number().int().positive().max(max, `must be at most ${max}`).default(fallback),
    ),
  string: (fallback: string) => z.preprocess(unsetIfEmpty, z.string().default(fallback)),
  optionalString: () => z.preprocess(unsetIfEmpty, z.string().optional()),
  url: () => z.preprocess(unsetIfEmpty, z.url().optional()),
  amqpUrl: () =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL')
        .optional(),
    ),
  postgresUrl: () =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL')
        .optional(),
    ),
  nodeId: () =>
    z
      .string({
        error: (issue) => (issue.input === undefined ? 'required (or pass --node)' : 'must be a string'),
      })
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, - or _'),
  nodeList: (fallback: string) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .default(fallback)
        .transform((s) =>
          s
            .split(',')
            .map((n) => n.trim())
            .filter(Boolean),
        )
        .pipe(
          z
            .array(z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'node ids must be letters, digits, - or _'))
            .min(1)
            .refine((a) => new Set(a).size === a.length, 'node ids must be unique'),
        ),
    ),
};
