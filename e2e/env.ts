/** The web host the end-to-end tests start (playwright.config.ts) and talk to. */
export const E2E_PORT = 47615;
/** fixed test token ($LW_TOKEN, at least 16 characters) */
export const E2E_TOKEN = 'e2e-token-0123456789abcdef';
/** the page address with the token (the page keeps it in sessionStorage) */
export const TOKEN_PATH = `/?token=${E2E_TOKEN}`;
