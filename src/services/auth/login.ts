import { and, asc, eq, gt, isNull, sql } from "drizzle-orm";
import { type Database, schema } from "../../db";
import { hashPassword, randomToken, sha256Hex, verifyPassword } from "../../lib/crypto";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import type { Role } from "./principal";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken, REFRESH_TOKEN_TTL_SECONDS } from "./tokens";

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  user: { id: string; email: string; name: string };
  tenantId: string;
  projectId: string;
  role: Role;
}

// Verifying against a real hash when the user does not exist keeps both paths equally slow,
// so response time does not reveal which emails have accounts.
let decoyHash: Promise<string> | undefined;

export async function login(
  db: Database,
  secret: string,
  input: { email: string; password: string; projectId?: string },
): Promise<TokenPair> {
  const rows = await db.query
    .select({
      user: {
        id: schema.users.id,
        email: schema.users.email,
        name: schema.users.name,
        passwordHash: schema.users.passwordHash,
        disabledAt: schema.users.disabledAt,
      },
      membership: { tenantId: schema.memberships.tenantId, projectId: schema.memberships.projectId, role: schema.memberships.role },
    })
    .from(schema.users)
    .leftJoin(schema.memberships, eq(schema.memberships.userId, schema.users.id))
    .where(eq(sql`lower(${schema.users.email})`, input.email.trim().toLowerCase()))
    .orderBy(asc(schema.memberships.createdAt));
  const user = rows[0]?.user;
  if (!user) {
    decoyHash ??= hashPassword("decoy-password");
    await verifyPassword(input.password, await decoyHash);
    throw new AppError("unauthorized", "Invalid email or password");
  }
  if (!(await verifyPassword(input.password, user.passwordHash)) || user.disabledAt) {
    throw new AppError("unauthorized", "Invalid email or password");
  }
  const memberships = rows.map((r) => r.membership).filter((m) => m !== null);
  const membership = input.projectId ? memberships.find((m) => m.projectId === input.projectId) : memberships[0];
  if (!membership) {
    throw new AppError("forbidden", input.projectId ? "You are not a member of that project" : "You are not a member of any project");
  }
  return issueTokenPair(db, secret, { id: user.id, email: user.email, name: user.name }, membership, uuidv7());
}

/** A new login (token family) for a user in one of their projects. */
export async function issueTokenPair(
  db: Database,
  secret: string,
  user: { id: string; email: string; name: string },
  m: { tenantId: string; projectId: string; role: Role },
  familyId: string,
  replacing?: string,
): Promise<TokenPair> {
  const refreshToken = `vrt_${randomToken(32)}`;
  const id = uuidv7();
  const insert = db.query.insert(schema.refreshTokens).values({
    id,
    tenantId: m.tenantId,
    projectId: m.projectId,
    userId: user.id,
    familyId,
    tokenHash: await sha256Hex(refreshToken),
    expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000),
  });
  if (replacing) {
    await db.batch([insert, db.query.update(schema.refreshTokens).set({ replacedById: id }).where(eq(schema.refreshTokens.id, replacing))]);
  } else {
    await insert;
  }
  return {
    accessToken: await issueAccessToken(secret, { userId: user.id, tenantId: m.tenantId, projectId: m.projectId, role: m.role }),
    refreshToken,
    tokenType: "Bearer",
    expiresIn: ACCESS_TOKEN_TTL_SECONDS,
    user,
    tenantId: m.tenantId,
    projectId: m.projectId,
    role: m.role,
  };
}

/**
 * Rotation: the presented token is consumed atomically (a conditional UPDATE, so two concurrent refreshes cannot
 * both win). Presenting an already-consumed token means it leaked: the whole family is revoked.
 */
export async function refresh(db: Database, secret: string, token: string): Promise<TokenPair> {
  const tokenHash = await sha256Hex(token);
  const [consumed] = await db.query
    .update(schema.refreshTokens)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(schema.refreshTokens.tokenHash, tokenHash),
        isNull(schema.refreshTokens.revokedAt),
        gt(schema.refreshTokens.expiresAt, new Date()),
      ),
    )
    .returning();
  if (!consumed) {
    const [known] = await db.query
      .select({ familyId: schema.refreshTokens.familyId, replacedById: schema.refreshTokens.replacedById })
      .from(schema.refreshTokens)
      .where(eq(schema.refreshTokens.tokenHash, tokenHash));
    if (known?.replacedById) {
      await db.query
        .update(schema.refreshTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(schema.refreshTokens.familyId, known.familyId), isNull(schema.refreshTokens.revokedAt)));
      throw new AppError("unauthorized", "Refresh token was already used; all sessions of this login were revoked");
    }
    throw new AppError("unauthorized", "Invalid or expired refresh token");
  }
  // Role and membership are read again: a demotion or removal takes effect at the next refresh.
  const [row] = await db.query
    .select({
      user: { id: schema.users.id, email: schema.users.email, name: schema.users.name, disabledAt: schema.users.disabledAt },
      role: schema.memberships.role,
    })
    .from(schema.users)
    .innerJoin(
      schema.memberships,
      and(eq(schema.memberships.userId, schema.users.id), eq(schema.memberships.projectId, consumed.projectId)),
    )
    .where(eq(schema.users.id, consumed.userId));
  if (!row || row.user.disabledAt) throw new AppError("unauthorized", "The account no longer has access to this project");
  const { disabledAt: _ignored, ...user } = row.user;
  return issueTokenPair(
    db,
    secret,
    user,
    { tenantId: consumed.tenantId, projectId: consumed.projectId, role: row.role },
    consumed.familyId,
    consumed.id,
  );
}

/** Logout revokes the token's whole family: every refresh token descended from that login. */
export async function logout(db: Database, token: string, userId: string): Promise<void> {
  const tokenHash = await sha256Hex(token);
  const [row] = await db.query
    .select({ familyId: schema.refreshTokens.familyId })
    .from(schema.refreshTokens)
    .where(and(eq(schema.refreshTokens.tokenHash, tokenHash), eq(schema.refreshTokens.userId, userId)));
  if (!row) throw new AppError("not_found", "Refresh token not found");
  await db.query
    .update(schema.refreshTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(schema.refreshTokens.familyId, row.familyId), isNull(schema.refreshTokens.revokedAt)));
}
