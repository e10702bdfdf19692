/** The package's programmatic API. */
export { buildApp, type BuildAppOptions } from './app.js'
export { createServer, type CreateServerOptions, type RunningServer } from './create-server.js'
export { loadConfig, type Config } from './config.js'
export { openTrove, type OpenedTrove, type TroveCore } from './trove.js'
export { AppError, IntegrityError, StartupError } from './errors.js'
