// Chorus conversion tracking: remembers the tracked link a visitor arrived from, and reports
// conversions for it. Usage: ChorusTrack.conversion({kind: "lead", externalId: "…", value: 0})
(function () {
  "use strict";
  var KEY = "chorus_click";
  var SITE = "{{ site_key|escapejs }}";
  var ENDPOINT = "{{ endpoint|escapejs }}";
  var MAX_AGE_DAYS = 90;

  function remembered() {
    try {
      return JSON.parse(window.localStorage.getItem(KEY) || "[]");
    } catch (error) {
      return [];
    }
  }

  var click = new URLSearchParams(window.location.search).get(KEY);
  if (click && /^[0-9a-f]{32}$/.test(click)) {
    var cutoff = Date.now() - MAX_AGE_DAYS * 864e5;
    var clicks = remembered().filter(function (entry) { return entry.at > cutoff && entry.id !== click; });
    clicks.push({ id: click, at: Date.now() });
    try {
      window.localStorage.setItem(KEY, JSON.stringify(clicks.slice(-10)));
    } catch (error) {
      // Storage may be disabled; the conversion then simply isn't attributed.
    }
  }

  window.ChorusTrack = {
    conversion: function (details) {
      details = details || {};
      var clicks = remembered().map(function (entry) { return entry.id; });
      if (!clicks.length) return false;
      var body = JSON.stringify({
        site: SITE,
        kind: details.kind || "lead",
        clicks: clicks,
        value: details.value == null ? null : details.value,
        currency: details.currency || "",
        external_id: details.externalId || ""
      });
      if (navigator.sendBeacon) {
        return navigator.sendBeacon(ENDPOINT, new Blob([body], { type: "text/plain" }));
      }
      fetch(ENDPOINT, { method: "POST", body: body, keepalive: true, mode: "cors" });
      return true;
    }
  };
})();
