// The analytics page: demand and access equity, as tables and bar charts, and residents' satisfaction by
// service and by channel (role analyst).
// Shares the dashboard's helpers (staff.js, loaded first) through window.customer360Staff.
"use strict";

(function () {
  const { pages, $, graphql, explain, el, table, show, date, dateTime, percent, number, words, edges, SVG } =
    window.customer360Staff;

  // --- analytics ------------------------------------------------------------------------------

  const ANALYTICS = `query Analytics($from: Date!, $to: Date!, $groupBy: [DemandDimension!]!) {
    demand(from: $from, to: $to, groupBy: $groupBy) {
      service serviceName ward channel hour week suppressed people started completionRate abandonmentRate
      medianDaysToResolve expectedDays
    }
    accessEquity(from: $from, to: $to) {
      service serviceName
      all { suppressed people onlineShare onlineCompletionRate completionRate assistedShare medianDaysToResolve }
      vulnerable { suppressed people onlineShare onlineCompletionRate completionRate assistedShare medianDaysToResolve }
    }
    satisfactionByService: satisfaction(from: $from, to: $to, groupBy: [SERVICE]) { ...Rated }
    satisfactionByChannel: satisfaction(from: $from, to: $to, groupBy: [CHANNEL]) { ...Rated }
  }
  fragment Rated on SatisfactionRow { service serviceName channel suppressed ratings averageRating satisfiedShare }`;

  // As the six-monthly report names them (reporting/charts.py CHANNEL_NAMES).
  const CHANNELS = { web: "Online", phone: "Phone", face_to_face: "Face to face", assisted_digital: "Assisted digital" };
  const channelName = (code) => CHANNELS[code] || words(code);

  function groupLabel(row) {
    if (row.serviceName) return row.serviceName;
    if (row.ward) return row.ward;
    if (row.channel) return channelName(row.channel);
    if (row.hour !== null && row.hour !== undefined) return `${String(row.hour).padStart(2, "0")}:00`;
    if (row.week) return `w/c ${date(row.week)}`;
    return "All";
  }

  function barChart(title, rows, max) {
    const height = 22;
    const labelWidth = 270;
    const width = 640;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${rows.length * height + 10}`);
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `${title}. The same figures are in the table below.`);
    rows.forEach(([label, value, cls], i) => {
      const y = i * height + 5;
      const text = document.createElementNS(SVG, "text");
      text.setAttribute("x", labelWidth - 8);
      text.setAttribute("y", y + 15);
      text.setAttribute("text-anchor", "end");
      text.textContent = label;
      const bar = document.createElementNS(SVG, "rect");
      bar.setAttribute("x", labelWidth);
      bar.setAttribute("y", y + 3);
      bar.setAttribute("height", height - 6);
      bar.setAttribute("width", max ? Math.max(1, ((width - labelWidth - 60) * value) / max) : 0);
      bar.setAttribute("class", cls || "bar");
      const figure = document.createElementNS(SVG, "text");
      figure.setAttribute("x", labelWidth + (max ? ((width - labelWidth - 60) * value) / max : 0) + 6);
      figure.setAttribute("y", y + 15);
      figure.textContent = cls ? percent(value) : number(value);
      svg.append(text, bar, figure);
    });
    return el("figure", {}, el("figcaption", {}, el("h3", {}, title)), svg);
  }

  // A null count in a group that is shown is withheld (see the schema): drawn as nothing, never as zero.
  const WITHHELD_NOTE = "– withheld: a count from 1 to 9, or one that would let such a count be worked out " +
    "from a total, and any rate computed from it.";

  function demandView(rows, dimension) {
    const shown = rows.filter((r) => !r.suppressed && r.started !== null);
    const ordered = ["HOUR", "WEEK"].includes(dimension) ? shown : [...shown].sort((a, b) => b.started - a.started);
    const max = Math.max(0, ...shown.map((r) => r.started));
    const small = rows.filter((r) => r.suppressed).length;
    const withheld = rows.length - shown.length - small;
    return [
      el("h2", {}, "Demand"),
      barChart("Journeys started", ordered.map((r) => [groupLabel(r), r.started]), max),
      small ? el("p", {}, `${small} ${small === 1 ? "group has" : "groups have"} fewer than 10 people and ${small === 1 ? "is" : "are"} not shown in the chart.`) : null,
      withheld ? el("p", {}, `${withheld} ${withheld === 1 ? "group's count is" : "groups' counts are"} withheld and not shown in the chart.`) : null,
      table("Demand", ["Group", "People", "Started", "Completed", "Abandoned", "Median days to resolve", "Promise (working days)"],
        rows.map((r) => (r.suppressed
          ? [groupLabel(r), "fewer than 10 people", "", "", "", "", ""]
          : [groupLabel(r), number(r.people), number(r.started), percent(r.completionRate), percent(r.abandonmentRate),
            number(r.medianDaysToResolve, 1), number(r.expectedDays)])),
        [1, 2, 3, 4, 5, 6]),
      el("p", { class: "note" }, WITHHELD_NOTE),
    ];
  }

  function equityView(rows) {
    const overall = rows.find((r) => r.service === null);
    const measures = [
      ["Self-served online", "onlineShare"],
      ["Completed online", "onlineCompletionRate"],
      ["Completed (any channel)", "completionRate"],
      ["Assisted digital help", "assistedShare"],
    ];
    const pairs = [];
    if (overall && !overall.all.suppressed && !overall.vulnerable.suppressed) {
      for (const [label, key] of measures) {
        if (overall.all[key] === null || overall.vulnerable[key] === null) continue;
        pairs.push([`${label}: all`, overall.all[key], "bar-all"], [`${label}: vulnerable`, overall.vulnerable[key], "bar-vulnerable"]);
      }
    }
    const cells = (m) => (m.suppressed ? ["fewer than 10 people", "", "", ""] : [number(m.people), percent(m.onlineShare), percent(m.onlineCompletionRate), number(m.medianDaysToResolve, 1)]);
    return [
      el("h2", {}, "Vulnerable residents beside all residents"),
      el("ul", { class: "legend" }, el("li", { class: "all" }, "All residents"), el("li", { class: "vulnerable" }, "Vulnerable residents")),
      pairs.length ? barChart("Access, all services", pairs, 1) : el("p", {}, "Too few people to compare in this period."),
      table("Access by service", ["Service", "People (all)", "Online (all)", "Completed online (all)", "Median days (all)",
        "People (vulnerable)", "Online (vulnerable)", "Completed online (vulnerable)", "Median days (vulnerable)"],
        rows.map((r) => [r.serviceName, ...cells(r.all), ...cells(r.vulnerable)]), [1, 2, 3, 4, 5, 6, 7, 8]),
      el("p", { class: "note" }, WITHHELD_NOTE),
    ];
  }

  // Suppressed as the API suppresses them (fewer than 10 residents, and the next smallest beside a lone one).
  function satisfactionView(byService, byChannel) {
    const headers = ["Ratings", "Average (1 to 5)", "Satisfied (4 or 5)"];
    const cells = (r) => (r.suppressed
      ? ["fewer than 10 people", "", ""]
      : [number(r.ratings), number(r.averageRating, 1), percent(r.satisfiedShare)]);
    return [
      el("h2", {}, "Satisfaction"),
      el("p", {}, "Residents' ratings of their finished requests, given online or by phone to customer services."),
      table("Satisfaction by service", ["Service", ...headers],
        byService.map((r) => [r.serviceName || words(r.service), ...cells(r)]), [1, 2, 3]),
      table("Satisfaction by channel", ["Channel", ...headers],
        byChannel.map((r) => [channelName(r.channel), ...cells(r)]), [1, 2, 3]),
    ];
  }

  async function showAnalytics(event) {
    event.preventDefault();
    const status = $("analytics-status");
    const dimension = $("group-by").value;
    status.textContent = "Loading figures…";
    try {
      const { data } = await graphql(ANALYTICS, { from: $("from").value, to: $("to").value, groupBy: [dimension] });
      $("analytics-view").replaceChildren(
        ...demandView(data.demand, dimension),
        ...equityView(data.accessEquity),
        ...satisfactionView(data.satisfactionByService, data.satisfactionByChannel),
      );
      status.textContent = `Figures for ${date($("from").value)} to ${date($("to").value)} loaded.`;
    } catch (error) {
      status.textContent = explain(error);
    }
  }

  function isoDay(day) {
    return day.toISOString().slice(0, 10);
  }

  pages["analytics"] = {
    start() {
      const today = new Date();
      $("to").value = isoDay(new Date(today.getTime() - 86400000));
      $("from").value = isoDay(new Date(today.getTime() - 183 * 86400000));
      $("analytics-form").addEventListener("submit", showAnalytics);
    },
    open() {
      show("analytics", "analytics-heading");
    },
  };
})();
