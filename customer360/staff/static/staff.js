// The staff dashboard: a small script over the customer360 GraphQL API, and nothing else.
// No framework and no build step: the page is a server-rendered shell, this file fills it in.
// Every value from the API is written with textContent (never innerHTML), so data cannot inject markup.
"use strict";

(function () {
  const TOKEN_KEY = "customer360.staffToken";
  const PURPOSE_KEY = "customer360.accessPurpose";
  const ANALYTICS_ROLES = ["analyst", "admin"];
  const REVIEW_ROLES = ["data_steward", "admin"];
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";

  // --- the API ------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  }

  // `purpose` overrides the one given at sign-in, for pages whose purpose is fixed (match review).
  async function graphql(query, variables, purpose) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const response = await fetch("/graphql", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${token}`,
        // Every staff read of a person is audited with its purpose (shown to the resident).
        "X-Access-Purpose": purpose || sessionStorage.getItem(PURPOSE_KEY) || "Staff dashboard",
      },
      body: JSON.stringify({ query, variables }),
    });
    if (response.status === 401) {
      signOut("Your token was not accepted (it may have expired). Sign in again.");
      throw new ApiError("not signed in", "UNAUTHENTICATED");
    }
    const body = await response.json();
    const errors = body.errors || [];
    if (!body.data) {
      const first = errors[0] || {};
      throw new ApiError(first.message || "The request failed", (first.extensions || {}).code);
    }
    // A back office that is down leaves its fields empty and says so: the rest is still shown.
    const unavailable = errors
      .filter((e) => (e.extensions || {}).code === "SOURCE_UNAVAILABLE")
      .map((e) => e.extensions.source);
    return { data: body.data, unavailable: [...new Set(unavailable)] };
  }

  function explain(error) {
    if (error.code === "FORBIDDEN") return "Your roles do not allow this. Ask an administrator if you need it.";
    if (error.code === "BAD_USER_INPUT") return error.message;
    return `Something went wrong: ${error.message}`;
  }

  // --- building the page ----------------------------------------------------------------------

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function table(caption, headers, rows, numeric = []) {
    if (!rows.length) return el("p", { class: "empty" }, `${caption}: none.`);
    const head = el("tr", {}, headers.map((h, i) => el("th", { scope: "col", class: numeric.includes(i) ? "n" : null }, h)));
    const body = rows.map((row) =>
      el("tr", {}, row.map((cell, i) => (i === 0
        ? el("th", { scope: "row" }, cell)
        : el("td", { class: numeric.includes(i) ? "n" : null }, cell)))),
    );
    return el("table", {}, el("caption", {}, caption), el("thead", {}, head), el("tbody", {}, body));
  }

  const date = (iso) => (iso ? new Date(iso).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" }) : "–");
  const dateTime = (iso) => (iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : "–");
  const percent = (value) => (value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`);
  const number = (value, digits = 0) => (value === null || value === undefined ? "–" : value.toLocaleString("en-GB", { maximumFractionDigits: digits, minimumFractionDigits: digits }));
  const words = (code) => (code ? code.charAt(0) + code.slice(1).toLowerCase().replaceAll("_", " ") : "–");
  const edges = (connection) => (connection ? connection.edges.map((e) => e.node) : []);

  // --- signing in -----------------------------------------------------------------------------

  function claims(token) {
    try {
      const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(payload));
    } catch {
      return null;
    }
  }

  function roles(token) {
    const found = claims(token);
    if (!found) return [];
    const value = found.roles || (found.realm_access || {}).roles || [];
    return Array.isArray(value) ? value : String(value).split(/[ ,]+/);
  }

  function signIn(event) {
    event.preventDefault();
    const token = $("token").value.trim();
    const problem = $("sign-in-error");
    if (!token || !claims(token)) {
      problem.replaceChildren(el("h2", {}, "There is a problem"),
        el("p", {}, el("a", { href: "#token" }, "Paste a staff token: three parts separated by dots")));
      problem.hidden = false;
      $("token").setAttribute("aria-invalid", "true");
      problem.querySelector("a").focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(PURPOSE_KEY, ($("purpose").value || "").trim() || "Staff dashboard");
    $("token").value = "";
    problem.hidden = true;
    $("token").removeAttribute("aria-invalid");
    showSignedIn();
    location.hash = "#customers";
    route();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(PURPOSE_KEY);
    $("who").hidden = true;
    $("sections").hidden = true;
    history.replaceState(null, "", location.pathname);
    show("sign-in");
    const problem = $("sign-in-error");
    if (message) {
      problem.replaceChildren(el("p", {}, message));
      problem.hidden = false;
    } else {
      problem.hidden = true;
    }
    $("token").focus();
  }

  function showSignedIn() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const who = claims(token) || {};
    const held = roles(token);
    $("who-name").textContent = `${who.name || who.sub || "Staff"} (${held.join(", ") || "no roles"})`;
    $("who").hidden = false;
    $("sections").hidden = false;
    $("nav-analytics").parentElement.hidden = !held.some((r) => ANALYTICS_ROLES.includes(r));
    $("nav-match-review").parentElement.hidden = !held.some((r) => REVIEW_ROLES.includes(r));
  }

  // --- sections -------------------------------------------------------------------------------

  const SECTIONS = ["sign-in", "customers", "customer", "analytics", "match-review"];

  function show(id, focus) {
    for (const section of SECTIONS) $(section).hidden = section !== id;
    for (const link of document.querySelectorAll(".sections a")) {
      const current = link.getAttribute("href") === `#${id === "customer" ? "customers" : id}`;
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (focus) $(focus).focus();
  }

  function route() {
    if (!sessionStorage.getItem(TOKEN_KEY)) {
      show("sign-in");
      return;
    }
    const hash = location.hash || "#customers";
    if (hash.startsWith("#customer/")) {
      openCustomer(decodeURIComponent(hash.slice("#customer/".length)));
    } else if (hash === "#analytics") {
      show("analytics", "analytics-heading");
    } else if (hash === "#match-review") {
      show("match-review", "match-review-heading");
      loadReview(false);
    } else {
      show("customers", "customers-heading");
    }
  }

  // --- customers ------------------------------------------------------------------------------

  const SEARCH = `query Search($query: String!) {
    searchCustomers(query: $query, first: 25) {
      edges { node { id name email dateOfBirth address { line1 postcode } } }
      pageInfo { hasNextPage }
    }
  }`;

  async function search(event) {
    event.preventDefault();
    const query = $("query").value.trim();
    const status = $("search-status");
    const results = $("results");
    if (!query) {
      status.textContent = "Enter a name, email or postcode to search for.";
      $("query").focus();
      return;
    }
    status.textContent = "Searching…";
    results.replaceChildren();
    try {
      const { data } = await graphql(SEARCH, { query });
      const found = edges(data.searchCustomers);
      results.replaceChildren(...found.map((customer) => el("li", {},
        el("button", { type: "button", "data-id": customer.id }, customer.name),
        el("span", { class: "detail" }, [
          customer.address ? `${customer.address.line1}, ${customer.address.postcode}` : "No address",
          customer.email || null,
          customer.dateOfBirth ? `born ${date(customer.dateOfBirth)}` : null,
        ].filter(Boolean).join(" · ")))));
      const more = data.searchCustomers.pageInfo.hasNextPage ? " Showing the first 25: add words to narrow it." : "";
      status.textContent = found.length
        ? `${found.length} ${found.length === 1 ? "customer" : "customers"} found for “${query}”.${more}`
        : `No customers found for “${query}”.`;
    } catch (error) {
      status.textContent = explain(error);
    }
  }

  const CUSTOMER = `query Customer($id: ID!) {
    customer(id: $id) {
      id name email phone dateOfBirth
      address { line1 line2 town postcode uprn }
      linkedRecords { system recordId confidence rule }
      councilTaxAccounts {
        reference band propertyAddress { line1 postcode }
        annualCharge { formatted } balance { formatted pence }
        nextInstalment { dueDate amount { formatted } status }
      }
      discounts { kind status percent startsOn endsOn accountReference }
      benefitClaims { reference kind status startsOn weeklyAward { formatted } }
      housingApplications { reference status band submittedOn bedroomsNeeded }
      requests(first: 20) {
        edges { node { reference serviceName status submittedAt expectedBy history { at status description } } }
      }
      complaints(first: 20) { edges { node { reference subject status stage receivedAt respondBy } } }
      payments(first: 20) { edges { node { reference amount { formatted } status purpose accountReference createdAt } } }
    }
  }`;

  async function openCustomer(id) {
    show("customer");
    const view = $("customer-view");
    const status = $("customer-status");
    $("customer-heading").textContent = "Customer";
    view.replaceChildren();
    status.textContent = "Loading the customer's record…";
    try {
      const { data, unavailable } = await graphql(CUSTOMER, { id });
      const customer = data.customer;
      if (!customer) {
        status.textContent = "This customer was not found, or is not yours to see.";
        $("customer-heading").focus();
        return;
      }
      $("customer-heading").textContent = customer.name;
      view.replaceChildren(...customerView(customer));
      status.textContent = unavailable.length
        ? `Record loaded. Not available just now: ${unavailable.join(", ")}; those parts may be incomplete.`
        : "Record loaded.";
      $("customer-heading").focus();
    } catch (error) {
      status.textContent = explain(error);
    }
  }

  function customerView(c) {
    const address = c.address ? [c.address.line1, c.address.line2, c.address.town, c.address.postcode].filter(Boolean).join(", ") : "–";
    const summary = el("dl", { class: "summary" },
      el("dt", {}, "Email"), el("dd", {}, c.email || "–"),
      el("dt", {}, "Phone"), el("dd", {}, c.phone || "–"),
      el("dt", {}, "Date of birth"), el("dd", {}, date(c.dateOfBirth)),
      el("dt", {}, "Address"), el("dd", {}, address));
    return [
      summary,
      el("h2", {}, "Council Tax"),
      table("Council Tax accounts", ["Account", "Property", "Band", "Annual charge", "Balance", "Next instalment"],
        c.councilTaxAccounts.map((a) => [a.reference, `${a.propertyAddress.line1}, ${a.propertyAddress.postcode}`, a.band,
          a.annualCharge.formatted, a.balance.formatted,
          a.nextInstalment ? `${a.nextInstalment.amount.formatted} on ${date(a.nextInstalment.dueDate)} (${words(a.nextInstalment.status)})` : "–"]),
        [3, 4]),
      table("Discounts", ["Kind", "Account", "Status", "Percent", "From", "To"],
        c.discounts.map((d) => [words(d.kind), d.accountReference, words(d.status), `${d.percent}%`, date(d.startsOn), date(d.endsOn)]),
        [3]),
      el("h2", {}, "Requests"),
      requestsView(edges(c.requests)),
      el("h2", {}, "Complaints"),
      table("Complaints", ["Reference", "Subject", "Stage", "Status", "Received", "Respond by"],
        edges(c.complaints).map((x) => [x.reference, x.subject, words(x.stage), words(x.status), date(x.receivedAt), date(x.respondBy)])),
      el("h2", {}, "Payments"),
      table("Payments", ["Reference", "Amount", "Purpose", "Account", "Status", "Made"],
        edges(c.payments).map((p) => [p.reference, p.amount.formatted, words(p.purpose), p.accountReference || "–", words(p.status), dateTime(p.createdAt)]),
        [1]),
      el("h2", {}, "Benefits and housing"),
      table("Benefit claims", ["Reference", "Kind", "Status", "Since", "Weekly award"],
        c.benefitClaims.map((b) => [b.reference, words(b.kind), words(b.status), date(b.startsOn), b.weeklyAward.formatted]), [4]),
      table("Housing applications", ["Reference", "Status", "Band", "Submitted", "Bedrooms"],
        c.housingApplications.map((h) => [h.reference, words(h.status), words(h.band), date(h.submittedOn), String(h.bedroomsNeeded)]), [4]),
      el("h2", {}, "Linked records"),
      table("Back-office records linked to this customer", ["System", "Record", "Confidence", "Linked by"],
        c.linkedRecords.map((r) => [words(r.system), r.recordId, percent(r.confidence), r.rule]), [2]),
    ];
  }

  function requestsView(requests) {
    if (!requests.length) return el("p", { class: "empty" }, "Requests: none.");
    return el("ul", { class: "results" }, requests.map((r) => el("li", {},
      el("h3", {}, `${r.serviceName} – ${words(r.status)}`),
      el("span", { class: "detail" }, `${r.reference} · asked ${dateTime(r.submittedAt)}${r.expectedBy ? ` · expected by ${date(r.expectedBy)}` : ""}`),
      el("details", {},
        el("summary", {}, `History (${r.history.length} ${r.history.length === 1 ? "entry" : "entries"})`),
        el("ol", { class: "history" }, r.history.map((h) => el("li", {}, `${dateTime(h.at)}: ${h.description}`)))))));
  }

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
  }`;

  function groupLabel(row) {
    if (row.serviceName) return row.serviceName;
    if (row.ward) return row.ward;
    if (row.channel) return words(row.channel);
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

  function demandView(rows, dimension) {
    const shown = rows.filter((r) => !r.suppressed);
    const ordered = ["HOUR", "WEEK"].includes(dimension) ? shown : [...shown].sort((a, b) => b.started - a.started);
    const max = Math.max(0, ...shown.map((r) => r.started));
    const hidden = rows.length - shown.length;
    return [
      el("h2", {}, "Demand"),
      barChart("Journeys started", ordered.map((r) => [groupLabel(r), r.started]), max),
      hidden ? el("p", {}, `${hidden} ${hidden === 1 ? "group has" : "groups have"} fewer than 10 people and ${hidden === 1 ? "is" : "are"} not shown in the chart.`) : null,
      table("Demand", ["Group", "People", "Started", "Completed", "Abandoned", "Median days to resolve", "Promise (working days)"],
        rows.map((r) => (r.suppressed
          ? [groupLabel(r), "fewer than 10 people", "", "", "", "", ""]
          : [groupLabel(r), number(r.people), number(r.started), percent(r.completionRate), percent(r.abandonmentRate),
            number(r.medianDaysToResolve, 1), number(r.expectedDays)])),
        [1, 2, 3, 4, 5, 6]),
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
    ];
  }

  async function showAnalytics(event) {
    event.preventDefault();
    const status = $("analytics-status");
    const dimension = $("group-by").value;
    status.textContent = "Loading figures…";
    try {
      const { data } = await graphql(ANALYTICS, { from: $("from").value, to: $("to").value, groupBy: [dimension] });
      $("analytics-view").replaceChildren(...demandView(data.demand, dimension), ...equityView(data.accessEquity));
      status.textContent = `Figures for ${date($("from").value)} to ${date($("to").value)} loaded.`;
    } catch (error) {
      status.textContent = explain(error);
    }
  }

  // --- match review ---------------------------------------------------------------------------

  // Reading both records of a pair is a staff read of a person: audited, and shown to the resident with this purpose.
  const REVIEW_PURPOSE = "Golden record stewardship: checking whether two records are the same person";
  const REVIEW_PAGE = 20;
  const CANDIDATE_RECORD = "system recordId customerId name dateOfBirth address { line1 postcode } email phone updatedOn";

  const REVIEW_QUEUE = `query MatchReview($first: Int, $after: String) {
    matchReviewQueue(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id probability matchWeight proposedAt
        left { ${CANDIDATE_RECORD} } right { ${CANDIDATE_RECORD} } evidence { comparison level weight } } }
    }
  }`;
  const CONFIRM_MATCH = `mutation ConfirmMatch($id: ID!) {
    confirmMatch(input: { candidateId: $id }) { candidate { id state } customer { id name } userErrors { field code message } }
  }`;
  const REJECT_MATCH = `mutation RejectMatch($id: ID!) {
    rejectMatch(input: { candidateId: $id }) { candidate { id state } userErrors { field code message } }
  }`;

  // The queue as loaded: where the next page starts, how many pairs are open, and a counter for element ids.
  const review = { after: null, total: 0, made: 0, loading: false };

  const bits = (weight) => `${weight > 0 ? "+" : weight < 0 ? "−" : ""}${number(Math.abs(weight), 1)}`;
  const pairsLeft = (n) => (n === 1 ? "1 pair left to review." : `${n} pairs left to review.`);

  async function loadReview(more) {
    if (review.loading) return;
    const status = $("review-status");
    const list = $("review-list");
    const button = $("review-more");
    if (!more) {
      review.after = null;
      list.replaceChildren();
      button.hidden = true;
    }
    review.loading = true;
    status.textContent = more ? "Loading more pairs…" : "Loading the pairs to review…";
    try {
      const { data } = await graphql(REVIEW_QUEUE, { first: REVIEW_PAGE, after: review.after }, REVIEW_PURPOSE);
      const queue = data.matchReviewQueue;
      const added = queue.edges.map((edge) => pairView(edge.node));
      list.append(...added);
      review.after = queue.pageInfo.endCursor;
      review.total = queue.totalCount;
      button.hidden = !queue.pageInfo.hasNextPage;
      const shown = list.children.length;
      status.textContent = review.total
        ? `${review.total} ${review.total === 1 ? "pair" : "pairs"} to review; showing the ${shown} most likely.`
        : "There are no pairs to review.";
      // After "More", focus goes to the first new pair, so the next Tab continues from there.
      if (more && added.length) added[0].querySelector("h2").focus();
    } catch (error) {
      status.textContent = explain(error);
    } finally {
      review.loading = false;
    }
  }

  function pairView(pair) {
    const id = `pair-${++review.made}`;
    const names = `${pair.left.name || "Unnamed"} and ${pair.right.name || "unnamed"}`;
    return el("li", { class: "pair", "data-id": pair.id },
      el("article", { "aria-labelledby": `${id}-heading` },
        el("h2", { id: `${id}-heading`, tabindex: "-1" }, `${names}: ${percent(pair.probability)} likely the same person`),
        el("p", { class: "detail" }, `Proposed ${dateTime(pair.proposedAt)} · match weight ${bits(pair.matchWeight)} bits`),
        recordsTable(pair.left, pair.right),
        table("Evidence", ["Comparison", "Level", "Weight (bits)", "Points to"],
          pair.evidence.map((e) => [words(e.comparison.toUpperCase()), words(e.level.toUpperCase()), bits(e.weight),
            e.weight > 0 ? "Same person" : e.weight < 0 ? "Different people" : "Neither"]),
          [2]),
        el("p", { class: "error", id: `${id}-problem`, hidden: true }),
        el("div", { class: "decision", role: "group", "aria-labelledby": `${id}-heading` },
          el("button", { type: "button", class: "button", "data-decision": "same", "aria-describedby": `${id}-problem` }, "Same person"),
          el("button", { type: "button", class: "button button-secondary", "data-decision": "different", "aria-describedby": `${id}-problem` },
            "Different people"))));
  }

  function recordsTable(left, right) {
    const fields = [
      ["System", (r) => words(r.system)],
      ["Record", (r) => r.recordId],
      ["Name", (r) => r.name || "–"],
      ["Date of birth", (r) => date(r.dateOfBirth)],
      ["Address", (r) => (r.address ? [r.address.line1, r.address.postcode].filter(Boolean).join(", ") : "–")],
      ["Email", (r) => r.email || "–"],
      ["Phone", (r) => r.phone || "–"],
      ["Last updated", (r) => date(r.updatedOn)],
    ];
    const shown = table("The two records", ["Field", "First record", "Second record"],
      fields.map(([label, value]) => [label, value(left), value(right)]));
    shown.classList.add("records");
    return shown;
  }

  async function decide(button) {
    const item = button.closest("li.pair");
    if (item.dataset.busy) return;
    const same = button.dataset.decision === "same";
    const problem = item.querySelector(".error");
    const status = $("review-status");
    item.dataset.busy = "true";
    problem.hidden = true;
    problem.textContent = "";
    status.textContent = "Saving your decision…";
    try {
      const { data } = await graphql(same ? CONFIRM_MATCH : REJECT_MATCH, { id: item.dataset.id }, REVIEW_PURPOSE);
      const outcome = same ? data.confirmMatch : data.rejectMatch;
      if (outcome.userErrors.length) {
        // Shown beside the pair and announced; focus stays on the button, so the steward can try again.
        problem.textContent = `Not saved: ${outcome.userErrors.map((e) => e.message).join(". ")}`;
        problem.hidden = false;
        status.textContent = problem.textContent;
        return;
      }
      const next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      review.total = Math.max(0, review.total - 1);
      if (same) {
        const customer = outcome.customer;
        status.replaceChildren(
          customer ? `Merged into ${customer.name}. ` : "Merged: both records now belong to one customer. ",
          customer ? el("a", { href: `#customer/${encodeURIComponent(customer.id)}` }, `Open ${customer.name}'s record`) : null,
          customer ? ". " : null,
          pairsLeft(review.total));
      } else {
        status.textContent = `Marked as different people; this pair will not be proposed again. ${pairsLeft(review.total)}`;
      }
      // Keep the keyboard where the work is: on the next pair, else "More pairs", else the page heading.
      if (next) next.querySelector("h2").focus();
      else if (!$("review-more").hidden) $("review-more").focus();
      else $("match-review-heading").focus();
    } catch (error) {
      problem.textContent = explain(error);
      problem.hidden = false;
      status.textContent = problem.textContent;
    } finally {
      delete item.dataset.busy;
    }
  }

  // --- start ----------------------------------------------------------------------------------

  function isoDay(day) {
    return day.toISOString().slice(0, 10);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const today = new Date();
    $("to").value = isoDay(new Date(today.getTime() - 86400000));
    $("from").value = isoDay(new Date(today.getTime() - 183 * 86400000));
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", () => signOut());
    $("search-form").addEventListener("submit", search);
    $("analytics-form").addEventListener("submit", showAnalytics);
    $("results").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-id]");
      if (button) location.hash = `#customer/${encodeURIComponent(button.dataset.id)}`;
    });
    $("review-more").addEventListener("click", () => loadReview(true));
    $("review-list").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-decision]");
      if (button) decide(button);
    });
    window.addEventListener("hashchange", route);
    if (sessionStorage.getItem(TOKEN_KEY)) showSignedIn();
    route();
  });
})();
