// Starting and stopping an adapter's HTTP server on the loopback interface: the part every adapter shares.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ListeningAdapter {
  url: string;
  close(): Promise<void>;
}

/** Listens on opts.port (0 = any free port); close() drops open connections, stops, then runs `release`. */
export async function listenLocal(
  server: Server,
  opts: { port: number; host?: string; scheme?: "http" | "ws" },
  release: () => Promise<void>,
): Promise<ListeningAdapter> {
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${opts.scheme ?? "http"}://${host}:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await release();
    },
  };
}
