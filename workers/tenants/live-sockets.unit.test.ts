import { describe, expect, it } from "vitest";
import { LEASE_MS, LEASE_RENEW_MS, LeaseRenewal, leaseFromHeader, leaseHeaderValue } from "./live-sockets";

describe("socket leases", () => {
  it("travel in a header and back; anything else is no lease", () => {
    const lease = { tenantId: "acme-2", id: crypto.randomUUID() };
    expect(leaseFromHeader(leaseHeaderValue(lease))).toEqual(lease);
    for (const bad of [
      null,
      "",
      "acme",
      `Acme ${lease.id}`,
      `a/b ${lease.id}`,
      `acme ${lease.id} x`,
      "acme not-a-uuid",
    ])
      expect(leaseFromHeader(bad), String(bad)).toBeNull();
  });

  it("are renewed often enough to survive a failed renewal, at most every LEASE_RENEW_MS", () => {
    expect(LEASE_RENEW_MS * 2).toBeLessThan(LEASE_MS);
    const renewal = new LeaseRenewal();
    expect(renewal.due(1_000_000)).toBe(true);
    void renewal.renew({} as never, [], 1_000_000);
    expect(renewal.due(1_000_000 + LEASE_RENEW_MS - 1)).toBe(false);
    expect(renewal.due(1_000_000 + LEASE_RENEW_MS)).toBe(true);
  });
});
