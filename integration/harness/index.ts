export { createWorld, destroyWorld, type World, type Registry } from './world.js';
export { Sandbox, ping, type SandboxOptions, type SandboxPaths } from './sandbox.js';
export { EnvboxRun, type BuildLogLine, type DebugLine, type ExitStatus } from './envbox.js';
export { run, mustRun, sleep, waitUntil, isAlive, listProcesses, type CommandResult } from './proc.js';
export { repoRoot, assetsDir, runsDir } from './paths.js';
export { ConnectProxy, type ProxyEvent } from './connect-proxy.js';
