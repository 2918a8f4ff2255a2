/* Opened as the app's page in the Saleor Dashboard: take the user token from the AppBridge handshake,
   let the server verify it (JWKS, permissions, coordinator), then continue in the workspace.
   No framework and no inline script (the Content-Security-Policy forbids those). */
(function () {
  "use strict";
  var root = document.getElementById("dashboard-entry");
  if (!root) { return; }
  var status = document.getElementById("dashboard-status");
  var origins = (root.getAttribute("data-dashboard-origins") || "").split(" ").filter(Boolean);
  var params = new URLSearchParams(window.location.search);
  var apiUrl = params.get("saleorApiUrl") || "";
  var busy = false;

  function say(text) { status.textContent = text; }

  function fromDashboard(event) {
    if (event.source !== window.parent || window.parent === window) { return false; }
    return origins.length === 0 || origins.indexOf(event.origin) !== -1;
  }

  function startSession(token) {
    busy = true;
    fetch(root.getAttribute("data-session-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.getAttribute("data-csrf-token") },
      body: JSON.stringify({ token: token, saleorApiUrl: apiUrl })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (result.ok && result.body.redirect) {
        window.location.assign(result.body.redirect);
        return;
      }
      busy = false;
      var reason = result.body && result.body.error ? result.body.error.message : "";
      say(root.getAttribute("data-refused") + " " + reason);
    }).catch(function () {
      busy = false;
      say(root.getAttribute("data-failed"));
    });
  }

  window.addEventListener("message", function (event) {
    if (busy || !fromDashboard(event)) { return; }
    var data = event.data;
    if (!data || data.type !== "handshake" || !data.payload || typeof data.payload.token !== "string") { return; }
    startSession(data.payload.token);
  });

  if (window.parent !== window) {
    // AppBridge's "notifyReady" action: the Dashboard answers with a handshake carrying the token.
    var ready = { type: "notifyReady", payload: { actionId: "rode-draad-" + Date.now() } };
    window.parent.postMessage(ready, origins.length === 1 ? origins[0] : "*");
  }
})();
