/** `Authorization: Bearer <secret>` → the secret, or undefined (absent, another scheme, or not a token's characters). */
export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer ([A-Za-z0-9_-]{8,200})$/.exec(header.trim());
  return m?.[1];
}
