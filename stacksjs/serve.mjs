// `clarimed serve` for the JavaScript suites (this one and ../fhir): started on a
// free loopback port, its address read from what it prints, stopped by SIGTERM.
import { spawn } from "node:child_process";

/** Starts `binary --db db serve --listen 127.0.0.1:0 ...extra`; the server and its base URL. */
export async function startServe(binary, db, extra = []) {
  const server = spawn(binary, ["--db", db, "serve", "--listen", "127.0.0.1:0", ...extra], { stdio: ["ignore", "ignore", "pipe"] });
  const baseUrl = await new Promise((resolve, reject) => {
    let said = "";
    const timer = setTimeout(() => reject(new Error(`clarimed serve did not start in 10 s: ${said}`)), 10_000);
    server.stderr.on("data", (chunk) => {
      said += chunk;
      const match = said.match(/on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.on("exit", (code) => reject(new Error(`clarimed serve exited (${code}): ${said}`)));
  });
  return { server, baseUrl };
}

/** Stops a server `startServe` started, if it still runs; its exit code (null if it had stopped). */
export async function stopServe(server) {
  if (!server || server.exitCode !== null) return null;
  const exited = new Promise((resolve) => server.on("exit", resolve));
  server.kill("SIGTERM");
  return exited;
}
