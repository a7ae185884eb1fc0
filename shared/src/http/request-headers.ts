import { z } from 'zod';

/** `Bearer <token>`; the scheme is case-insensitive (RFC 9110 §11.1), the token printable ASCII. */
const Authorization = z
  .string()
  .max(8192)
  .regex(/^bearer +[\x21-\x7e]+ *$/i)
  .transform((value) => value.trim().split(/ +/)[1] ?? '');

/** The token of an `Authorization: Bearer` header, or undefined when there is none or it is malformed. */
export function bearerToken(header: unknown): string | undefined {
  const parsed = Authorization.safeParse(header);
  return parsed.success ? parsed.data : undefined;
}

/** Node's parser already refuses a malformed Content-Length; this reads the number it let through. */
const ContentLength = z
  .string()
  .regex(/^\d{1,16}$/)
  .transform(Number);

/** The body length a request declared, or undefined when it streams (chunked) or declared none. */
export function declaredLength(header: unknown): number | undefined {
  const parsed = ContentLength.safeParse(header);
  return parsed.success ? parsed.data : undefined;
}
