/**
 * The page the web host serves when the renderer is not built: it says so and
 * how to build it. Deliberately not a UI; the API itself works without it.
 */

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function fallbackPage(staticDir: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Learnability Workstation: user interface not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}pre{padding:.6rem}</style>
</head>
<body>
<h1>The user interface is not built</h1>
<p>The Learnability Workstation web host is running and its API answers at <code>/api/</code>,
but there is no built renderer in <code>${escapeHtml(staticDir)}</code>.</p>
<p>Build it from the project folder, then restart <code>lw serve</code> and open the printed URL again:</p>
<pre>npm run build:desktop</pre>
<p>(or start <code>lw serve --static-dir DIR</code> with a folder that holds a built renderer's <code>index.html</code>).</p>
<p>Meanwhile the command line works: <code>npx lw run --preset smoke</code>, <code>npx lw list</code>.</p>
</body>
</html>
`;
}
