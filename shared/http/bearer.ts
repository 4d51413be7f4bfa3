/**
 * `Authorization: Bearer <secret>` → the secret, or undefined (absent, another scheme, or not a
 * token's characters). The scheme's name is matched without regard to case (RFC 9110, 11.1).
 */
export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer +([A-Za-z0-9_-]{8,200})$/i.exec(header.trim());
  return m?.[1];
}

/**
 * The `authorization: …` detail of a 401, for a header that did not authenticate: absent, not
 * a bearer token at all, or a token that is not (or no longer) valid. It never repeats the header.
 */
export function bearerProblem(header: string | undefined): string {
  if (header === undefined || header.trim() === '') return 'authorization: required';
  if (bearer(header) === undefined) return 'authorization: must be "Bearer <token>"';
  return 'authorization: invalid or revoked token';
}
