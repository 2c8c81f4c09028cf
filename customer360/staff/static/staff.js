// The staff dashboard: a small script over the customer360 GraphQL API, and nothing else.
// No framework and no build step: the page is a server-rendered shell, this file fills it in.
// Every value from the API is written with textContent (never innerHTML), so data cannot inject markup.
"use strict";

(function () {
  const TOKEN_KEY = "customer360.staffToken";
  const PURPOSE_KEY = "customer360.accessPurpose";
  const ANALYTICS_ROLES = ["analyst", "admin"];
  const REVIEW_ROLES = ["data_steward", "admin"];
  const CASEWORK_ROLES = ["customer_services", "admin", "revenues", "benefits", "housing"];
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
    // Fields the token's roles may not see (a tenancy for the revenues team): named, not shown as "none".
    const forbidden = errors.filter((e) => (e.extensions || {}).code === "FORBIDDEN").map((e) => (e.path || []).join("."));
    return { data: body.data, unavailable: [...new Set(unavailable)], forbidden };
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
    if (!$("token")) return; // the council's identity provider: the form goes to /staff/sign-in
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
    $("nav-work-queue").parentElement.hidden = !held.some((r) => CASEWORK_ROLES.includes(r));
  }

  // --- sections -------------------------------------------------------------------------------

  const SECTIONS = ["sign-in", "customers", "customer", "analytics", "match-review", "work-queue"];

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
    } else if (pages[hash.slice(1)]) {
      pages[hash.slice(1)].open();
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
      directDebits { reference accountReference sortCode accountNumber paymentDay status reason }
      tenancies {
        reference address startDate endDate tenureType
        rentAccount { balance { pence formatted } arrears { pence formatted } nextDue weeklyRent { total { formatted } } }
        repairs(first: 10) { edges { node { reference category room priority status completedOn aboutToMiss
          deadlines { kind due dueAt awaabsLaw aboutToMiss missed } } } }
      }
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
      const { data, unavailable, forbidden } = await graphql(CUSTOMER, { id });
      const customer = data.customer;
      if (customer) customer.tenanciesForbidden = forbidden.includes("customer.tenancies");
      if (!customer) {
        status.textContent = "This customer was not found, or is not yours to see.";
        $("customer-heading").focus();
        return;
      }
      $("customer-heading").textContent = customer.name;
      view.replaceChildren(...customerView(customer), ...customerExtras.flatMap((extra) => extra(customer)));
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
      directDebitView("Direct Debits on Council Tax accounts", c.directDebits, c.councilTaxAccounts.map((a) => a.reference)),
      table("Discounts", ["Kind", "Account", "Status", "Percent", "From", "To"],
        c.discounts.map((d) => [words(d.kind), d.accountReference, words(d.status), `${d.percent}%`, date(d.startsOn), date(d.endsOn)]),
        [3]),
      ...tenancyView(c.tenancies, c.tenanciesForbidden, c.directDebits),
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

  // A council tenant's home: the tenancy, the rent account's arrears, and open repairs with their deadlines,
  // those about to be missed (or missed) flagged first in words, not colour alone.
  function tenancyView(tenancies, forbidden, directDebits) {
    if (forbidden) return [el("h2", {}, "Council home"), el("p", { class: "empty" }, "Council tenancy: not shown to your role.")];
    const held = (tenancies || []).filter((t) => !t.endDate);
    if (!held.length) return [el("h2", {}, "Council home"), el("p", { class: "empty" }, "Council tenancy: none.")];
    const open = held.flatMap((t) => edges(t.repairs).filter((r) => !r.completedOn));
    const flag = (r) => r.deadlines.some((d) => d.missed) ? "Deadline missed"
      : r.aboutToMiss ? "About to miss a deadline" : "–";
    const due = (d) => `${words(d.kind)} by ${d.dueAt ? dateTime(d.dueAt) : date(d.due)}${d.awaabsLaw ? " (Awaab’s Law)" : ""}`;
    return [
      el("h2", {}, "Council home"),
      table("Tenancies", ["Tenancy", "Address", "Tenure", "Since", "Weekly rent", "Arrears", "Next due"],
        held.map((t) => [t.reference, t.address, words(t.tenureType), date(t.startDate),
          t.rentAccount.weeklyRent ? t.rentAccount.weeklyRent.total.formatted : "–",
          t.rentAccount.arrears.pence > 0 ? t.rentAccount.arrears.formatted : "None", date(t.rentAccount.nextDue)]),
        [4, 5]),
      directDebitView("Direct Debits on rent accounts", directDebits, held.map((t) => t.reference)),
      table("Open repairs", ["Reference", "Repair", "Priority", "Progress", "Deadlines", "Flag"],
        open.map((r) => [r.reference, `${words(r.category)}: ${r.room}`, words(r.priority), words(r.status),
          r.deadlines.map(due).join("; "), flag(r)])),
    ];
  }

  // The instructions on the accounts shown (only those the role may see: a rent account's are not the
  // revenues team's), bank details masked as the API gives them.
  function directDebitView(caption, directDebits, accounts) {
    const shown = (directDebits || []).filter((d) => accounts.includes(d.accountReference));
    return table(caption, ["Reference", "Account", "Sort code", "Account number", "Day", "Status"],
      shown.map((d) => [d.reference, d.accountReference, d.sortCode, d.accountNumber, String(d.paymentDay),
        d.reason ? `${words(d.status)} (${d.reason})` : words(d.status)]), [4]);
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

  // --- pages in their own files (staff-analytics.js, staff-review.js) --------------------------

  // Each registers `{ start(), open() }` under its section id before DOMContentLoaded (scripts are deferred,
  // and run in order after this one); `start` binds its controls, `open` shows it when the hash names it.
  const pages = {};
  const customerExtras = []; // more of the 360 view, each `(customer) => [elements]` (staff-casework.js)
  window.customer360Staff = {
    pages, customerExtras, $, graphql, explain, el, table, show, date, dateTime, percent, number, words, edges, SVG,
  };

  // --- start ----------------------------------------------------------------------------------

  // Signed in through the identity provider: the callback page hands the token over once, in meta tags.
  function takeHandedToken() {
    const handed = document.querySelector('meta[name="c360-staff-token"]');
    if (!handed) return;
    sessionStorage.setItem(TOKEN_KEY, handed.content);
    const purpose = document.querySelector('meta[name="c360-staff-purpose"]');
    sessionStorage.setItem(PURPOSE_KEY, (purpose && purpose.content) || "Staff dashboard");
    handed.remove();
    history.replaceState(null, "", "/staff#customers");
  }

  document.addEventListener("DOMContentLoaded", () => {
    takeHandedToken();
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", () => signOut());
    $("search-form").addEventListener("submit", search);
    $("results").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-id]");
      if (button) location.hash = `#customer/${encodeURIComponent(button.dataset.id)}`;
    });
    for (const page of Object.values(pages)) page.start();
    window.addEventListener("hashchange", route);
    if (sessionStorage.getItem(TOKEN_KEY)) showSignedIn();
    route();
  });
})();
