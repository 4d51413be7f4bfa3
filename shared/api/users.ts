/**
 * The cloud's users, as its store keeps them and its API lists them (GET /v1/users; never a
 * password): one shape for the cloud and the dashboard's Team page.
 */
export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

export interface OrgUser {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  /** May create orgs (made by `sousvide cloud admin add`). */
  serviceAdmin: boolean;
  createdMs: number;
  /** False until the invitation was accepted (or a password given at creation): the user is then an open invitation. */
  passwordSet: boolean;
  disabledMs: number | null;
}
