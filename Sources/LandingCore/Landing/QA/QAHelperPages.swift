/// The small pages QA mode uses to drive the landing page (form_post, session link, popup opener).
/// They are test tools, not pages users see, so they live in the code (English only) rather than
/// in `--templates`; they still go through the template engine, so every value is escaped.
enum QAHelperPages {
    /// Renders helper `name` ("form-post", "session", "opener") as UTF-8.
    static func render(_ name: String, _ context: TemplateValue) -> [UInt8] {
        (try? set.renderBytes(name, context: context)) ?? Array("QA helper page \(name) failed to render.".utf8)
    }

    /// Parsed once; a syntax error here is a programming error caught by the QA tests.
    static let set: TemplateSet = {
        do {
            return try TemplateSet.parse(templates: ["head": head, "form-post": formPost, "session": session, "opener": opener], catalogs: [:])
        } catch {
            preconditionFailure("QA helper templates: \(error)")
        }
    }()

    private static let head = """
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex, nofollow">
        <meta name="referrer" content="no-referrer">
        <link rel="icon" href="data:,">
        <style nonce="{{nonce}}">
          :root { color-scheme: light dark; }
          body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 46rem; padding: 0 1rem; }
          code, output { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; }
          input { font: inherit; width: 100%; box-sizing: border-box; padding: .4rem; }
          button { font: inherit; padding: .5rem 1rem; margin-top: .5rem; }
          li { word-break: break-all; }
        </style>
        """

    /// response_mode=form_post: the fields are submitted by POST to the callback as soon as the page runs.
    private static let formPost = """
        <!doctype html>
        <html lang="en">
        <head>
        {{> head}}
        <title>QA: form_post</title>
        </head>
        <body>
        <h1>form_post</h1>
        <p>Submitting the callback parameters as a POST form (<code>response_mode=form_post</code>)…</p>
        <form id="form" method="post" action="{{action}}">
        {{#fields}}<input type="hidden" name="{{name}}" value="{{value}}">
        {{/fields}}<noscript><button type="submit">Submit</button></noscript>
        </form>
        <script nonce="{{nonce}}">document.getElementById("form").submit();</script>
        </body>
        </html>
        """

    /// A session link: creates a test session, then replaces itself with the session's callback URL.
    private static let session = """
        <!doctype html>
        <html lang="en">
        <head>
        {{> head}}
        <title>QA: session link</title>
        </head>
        <body>
        <h1>Session link</h1>
        <p id="message">Creating a test session, then opening its callback URL…</p>
        <noscript><p>This page needs JavaScript.</p></noscript>
        <script type="application/json" id="qa-data" nonce="{{nonce}}">{{json data}}</script>
        <script nonce="{{nonce}}">
        (function () {
          "use strict";
          var data = JSON.parse(document.getElementById("qa-data").textContent);
          fetch(data.sessionsPath, {
            method: "POST", body: "{}", credentials: "omit", cache: "no-store",
            headers: { "Content-Type": "application/json", "Accept": "application/json" }
          }).then(function (response) {
            if (!response.ok) { throw new Error("HTTP " + response.status); }
            return response.json();
          }).then(function (session) {
            location.replace(data.callbackPath + "/" + encodeURIComponent(session.id) + (data.query ? "?" + data.query : ""));
          }).catch(function (error) {
            document.getElementById("message").textContent = "Could not create a test session: " + error.message;
          });
        })();
        </script>
        </body>
        </html>
        """

    /// The app's side of the desktop flow: opens the landing page with window.open, lists the
    /// messages it posts back, and says when the popup has closed.
    private static let opener = """
        <!doctype html>
        <html lang="en">
        <head>
        {{> head}}
        <title>QA: popup opener</title>
        </head>
        <body>
        <h1>Popup opener</h1>
        <p>This page plays the app's web page: it opens a landing page with <code>window.open</code> and lists
        the messages the landing page posts back. The landing server must name this page's origin,
        <code id="origin"></code>, in <code>--opener-origin</code>.</p>
        <p><label for="url">Landing page URL</label><input id="url" value="{{url}}" autocomplete="off"></p>
        <button id="open" type="button">Open in a popup</button>
        <p>Popup: <output id="popup-state">not opened</output></p>
        <h2>Messages received</h2>
        <ol id="messages"></ol>
        <script nonce="{{nonce}}">
        (function () {
          "use strict";
          function el(id) { return document.getElementById(id); }
          el("origin").textContent = location.origin;
          window.__messages = [];
          window.addEventListener("message", function (event) {
            var json = JSON.stringify(event.data);
            window.__messages.push({ origin: event.origin, data: event.data });
            var item = document.createElement("li");
            item.setAttribute("data-origin", event.origin);
            item.setAttribute("data-json", json);
            item.textContent = event.origin + " " + json;
            el("messages").appendChild(item);
          });
          el("open").addEventListener("click", function () {
            var url = el("url").value.trim();
            // Only https URLs and paths on this server: never javascript: or data: URLs.
            if (!/^https:\\/\\//i.test(url) && !(url.charAt(0) === "/" && url.charAt(1) !== "/" && url.charAt(1) !== "\\\\")) {
              el("popup-state").textContent = "refused: not an https URL";
              return;
            }
            var popup = window.open(url, "landing-popup", "popup,width=480,height=760");
            if (!popup) { el("popup-state").textContent = "blocked"; return; }
            el("popup-state").textContent = "open";
            var timer = setInterval(function () {
              if (popup.closed) { clearInterval(timer); el("popup-state").textContent = "closed"; }
            }, 100);
          });
        })();
        </script>
        </body>
        </html>
        """
}
