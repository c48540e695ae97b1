// Tenants for the tests, made through the API as an operator would: a tenant, then its keys.
import { expect } from "vitest";
import { call, createApiKey } from "./fixtures";

/** A fresh tenant id (lowercase, unique per run). */
export const uniqueTenantId = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

let operatorKey: Promise<string> | undefined;
/** An operator key in the default tenant (what the developer key is in `npm start`). */
export const operator = (): Promise<string> => {
  operatorKey ??= createApiKey(["operator"], "test operator");
  return operatorKey;
};

export async function expectStatus(res: Response, status: number): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return text;
}

/** Creates a tenant (quotas optional) and returns its id. */
export async function createTenant(label: string, quotas: Record<string, number | null> = {}): Promise<string> {
  const id = uniqueTenantId(label);
  await expectStatus(
    await call(await operator(), "/v1/tenants", { body: { id, name: `Tenant ${label}`, quotas } }),
    201,
  );
  return id;
}

/** A key of `tenantId` with these scopes, created by the operator; returns the key and the client's id. */
export async function tenantKey(tenantId: string, scopes: string[]): Promise<{ key: string; clientId: string }> {
  const text = await expectStatus(
    await call(await operator(), `/v1/tenants/${tenantId}/clients`, {
      body: { name: `${tenantId} ${scopes.join("+")}`, scopes },
    }),
    201,
  );
  const { client, key } = JSON.parse(text) as { client: { id: string }; key: string };
  return { key, clientId: client.id };
}
