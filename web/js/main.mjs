// The console's entry point (index.html loads it as a module): wires the chrome and each view,
// then routes to the URL's view. Each view module owns its state and registers with the router.
import { authHooks, renderAuth, signIn, signOut } from './api.mjs';
import { createDb, loadServerDbs, openDb, rememberDb, renderRecent, renderServerDbs, serverDbs } from './dbs.mjs';
import { $ } from './dom.mjs';
import { focusEditor, getText, richEditor, selectRange, setText } from './editor.mjs';
import { initHistory } from './history.mjs';
import { initKv } from './kv.mjs';
import { initTravel } from './kv-travel.mjs';
import { closeMenu, onDbChange, openMenu, route, state } from './router.mjs';
import { initSchema } from './schema.mjs';
import { initSql } from './sql.mjs';
import { firstKeyword, isQuery, splitSql } from './sqlsplit.mjs';
import { base64url, prettyJson } from './util.mjs';

function init() {
  $('#db-form').addEventListener('submit', (e) => { e.preventDefault(); openDb($('#db-input').value); });
  $('#db-create').addEventListener('click', () => createDb($('#db-input').value));
  $('#welcome-form').addEventListener('submit', (e) => { e.preventDefault(); openDb($('#welcome-db').value); });
  $('#menu-toggle').addEventListener('click', () => (document.body.classList.contains('menu-open') ? closeMenu() : openMenu()));
  $('#backdrop').addEventListener('click', closeMenu);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && document.body.classList.contains('menu-open')) { closeMenu(); $('#menu-toggle').focus(); }
  });
  for (const a of document.querySelectorAll('.nav-link')) {
    a.addEventListener('click', (e) => {
      if (!state.db) { e.preventDefault(); $('#db-form-msg').textContent = 'Open a database first.'; $('#db-input').focus(); }
    });
  }
  onDbChange((db) => { if (db) rememberDb(db); });

  initSql();
  initSchema();
  initHistory();
  initKv();
  initTravel();

  authHooks.signedIn = loadServerDbs;
  authHooks.signedOut = () => { serverDbs.items = []; renderServerDbs('Sign in to see the databases.'); };
  $('#signin-button').addEventListener('click', () => signIn('Sign in with the access token of this server.').then((ok) => { if (ok) route(true); }));
  $('#signout-button').addEventListener('click', signOut);
  $('#server-dbs-refresh').addEventListener('click', loadServerDbs);

  window.addEventListener('hashchange', route);
  renderRecent();
  renderAuth();
  route();
  loadServerDbs();
}

// exposed for debugging and tests
window.hoody = { splitSql, firstKeyword, isQuery, base64url, prettyJson, editor: { getText, setText, focus: focusEditor, rich: richEditor, select: selectRange } };

init(); // a module script runs after the document is parsed
