/**
 * Input rules for profiles. Messages name the field and the rule, never the value (the value may
 * be a secret pasted into the wrong box).
 */
import { z } from 'zod';

export const DEFAULT_BASE_URL = 'https://chat.stream-io-api.com';
export const PROFILE_KINDS = ['stream', 'sandbox'] as const;
export type ProfileKind = (typeof PROFILE_KINDS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const isProfileId = (s: string) => UUID.test(s);

/** Case- and width-insensitive key for unique names ("ß" ~ "SS", "Ｌｅｇａｌ" ~ "legal"). */
export const nameKey = (name: string) => name.trim().normalize('NFKC').toUpperCase().toLowerCase();

export const profileName = z
  .string({ error: 'name is required' })
  .trim()
  .min(1, 'name is empty')
  .max(100, 'name is longer than 100 characters')
  .refine((s) => !CONTROL.test(s), 'name contains control characters')
  .refine((s) => !isProfileId(s), 'name must not look like a profile id (a UUID)');

export const apiKey = z
  .string({ error: 'API key is required' })
  .trim()
  .min(1, 'API key is empty')
  .max(200, 'API key is longer than 200 characters')
  .regex(/^[\x21-\x7e]+$/, 'API key may only contain printable ASCII characters without spaces');

export const baseUrl = z
  .string({ error: 'base URL must be text' })
  .trim()
  .min(1, 'base URL is empty')
  .max(2048, 'base URL is longer than 2048 characters')
  .transform((s, ctx) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: `base URL is not a URL (for example ${DEFAULT_BASE_URL})` });
      return z.NEVER;
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: 'base URL must start with https:// (or http:// for a local proxy or the sandbox)' });
      return z.NEVER;
    }
    if (u.username || u.password) {
      // It would sit in state.db in plain text.
      ctx.addIssue({ code: 'custom', message: 'base URL must not contain a user name or password' });
      return z.NEVER;
    }
    if (u.search || u.hash) {
      ctx.addIssue({ code: 'custom', message: 'base URL must not have a query (?…) or fragment (#…)' });
      return z.NEVER;
    }
    return u.origin + u.pathname.replace(/\/+$/, '');
  });

export const secret = z
  .string({ error: 'secret is required' })
  .trim()
  .min(1, 'secret is empty')
  .max(1024, 'secret is longer than 1024 characters')
  .refine((s) => !/\s/.test(s) && !CONTROL.test(s), 'secret contains spaces, line breaks or control characters');

export const addProfileInput = z.strictObject({
  name: profileName,
  api_key: apiKey,
  base_url: baseUrl.optional(),
  kind: z.enum(PROFILE_KINDS, { error: 'kind must be "stream" or "sandbox"' }).optional(),
  secret: secret.optional(),
});
export type AddProfileInput = z.input<typeof addProfileInput>;

/** Parses or throws a ProfileError-ready message listing every problem. */
export function parseOrMessage<T extends z.ZodType>(schema: T, input: unknown): { ok: true; value: z.output<T> } | { ok: false; message: string } {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const problems = r.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message));
  return { ok: false, message: [...new Set(problems)].join('; ') };
}
