/** The local web host of the workstation's Api (DESIGN.md §1, §5). */
export { defaultStaticDir, startWebHost, type WebHost, type WebHostOptions, type WebHostService } from './web-host';
export { generateToken, isLoopbackHost } from './security';
