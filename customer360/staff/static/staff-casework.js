// Casework on the staff dashboard: the work queue (caseQueue), and "Act for this resident" on the 360
// view: an assisted session (startAssistedSession) whose short-lived actor token makes a complaint for
// the caller, recorded as made for them by the officer through the channel chosen.
// Shares the dashboard's helpers (staff.js, loaded first) through window.customer360Staff.
"use strict";

(function () {
  const { pages, customerExtras, $, graphql, explain, el, table, show, date, words, edges } = window.customer360Staff;

  // --- the work queue -------------------------------------------------------------------------

  const QUEUE = `query CaseQueue($team: String, $after: String) {
    caseQueue(team: $team, first: 20, after: $after) {
      edges { node { reference serviceName status expectedBy } }
      pageInfo { hasNextPage endCursor }
    }
  }`;
  const PROGRESS = `mutation ProgressCase($input: ProgressCaseInput!) {
    progressCase(input: $input) { request { reference status } userErrors { field code message } }
  }`;

  const today = () => new Date(new Date().toDateString());

  async function loadQueue(event) {
    if (event) event.preventDefault();
    const status = $("queue-status");
    const team = $("queue-team").value || null;
    status.textContent = "Loading the queue…";
    try {
      const { data } = await graphql(QUEUE, { team, after: null });
      const cases = edges(data.caseQueue);
      $("queue-view").replaceChildren(table("Cases, soonest due first", ["Reference", "Service", "Status", "Due by"],
        cases.map((c) => {
          const overdue = c.expectedBy && new Date(c.expectedBy) < today();
          return [c.reference, c.serviceName, words(c.status), `${date(c.expectedBy)}${overdue ? " (overdue)" : ""}`];
        })));
      status.textContent = cases.length ? `${cases.length} open ${cases.length === 1 ? "case" : "cases"} loaded.` : "No open cases.";
    } catch (error) {
      status.textContent = explain(error);
    }
  }

  async function progress(event) {
    event.preventDefault();
    const status = $("progress-status");
    const input = { reference: $("progress-reference").value.trim(), status: $("progress-to").value, note: $("progress-note").value };
    try {
      const { data } = await graphql(PROGRESS, { input });
      const answer = data.progressCase;
      status.textContent = answer.userErrors.length
        ? answer.userErrors.map((e) => e.message).join(" ")
        : `${answer.request.reference} is now ${words(answer.request.status).toLowerCase()}.`;
      if (!answer.userErrors.length) await loadQueue();
    } catch (error) {
      status.textContent = explain(error);
    }
  }

  pages["work-queue"] = {
    start() {
      $("queue-form").addEventListener("submit", loadQueue);
      $("progress-form").addEventListener("submit", progress);
    },
    open() {
      show("work-queue", "work-queue-heading");
      loadQueue();
    },
  };

  // --- acting for a resident --------------------------------------------------------------------

  const START = `mutation StartAssistedSession($input: StartAssistedSessionInput!) {
    startAssistedSession(input: $input) { token expiresAt userErrors { field code message } }
  }`;
  const COMPLAIN = `mutation MakeComplaint($input: MakeComplaintInput!) {
    makeComplaint(input: $input) { complaint { reference } userErrors { field code message } }
  }`;

  // The actor token lives in this closure only: never stored, gone when the page is left.
  async function asResident(token, query, variables) {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (!body.data) throw new Error(((body.errors || [])[0] || {}).message || "The request failed");
    return body.data;
  }

  function actingPanel(customer) {
    const session = { token: null };
    const status = el("p", { class: "status", role: "status", "aria-live": "polite", id: "acting-status" });
    const complaint = el("form", { id: "acting-complaint", hidden: true, novalidate: true },
      el("h3", {}, "Make a complaint for them"),
      el("label", { for: "acting-subject" }, "Subject"),
      el("input", { id: "acting-subject", type: "text", maxlength: "200", required: true }),
      el("label", { for: "acting-description" }, "What went wrong, in the caller's words"),
      el("textarea", { id: "acting-description", rows: "4", required: true }),
      el("button", { type: "submit", class: "button" }, "Make the complaint"));
    const start = el("form", { id: "acting-start", novalidate: true },
      el("fieldset", {},
        el("legend", {}, "How are you helping them?"),
        el("div", { class: "radio" }, el("input", { type: "radio", id: "acting-phone", name: "channel", value: "PHONE", checked: true }),
          el("label", { for: "acting-phone" }, "By phone")),
        el("div", { class: "radio" }, el("input", { type: "radio", id: "acting-desk", name: "channel", value: "FACE_TO_FACE" }),
          el("label", { for: "acting-desk" }, "Face to face"))),
      el("label", { for: "acting-purpose" }, "Why are you acting for them?"),
      el("input", { id: "acting-purpose", type: "text", maxlength: "200", value: "The resident asked for help on the phone", required: true }),
      el("button", { type: "submit", class: "button" }, "Act for this resident"));

    start.addEventListener("submit", async (event) => {
      event.preventDefault();
      const channel = start.querySelector("input[name=channel]:checked").value;
      try {
        const { data } = await graphql(START, { input: { customerId: customer.id, channel, purpose: $("acting-purpose").value } });
        const answer = data.startAssistedSession;
        if (answer.userErrors.length) {
          status.textContent = answer.userErrors.map((e) => e.message).join(" ");
          return;
        }
        session.token = answer.token;
        const until = new Date(answer.expiresAt).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
        status.textContent = `Acting for ${customer.name} ${channel === "PHONE" ? "by phone" : "face to face"} until ${until}.`;
        complaint.hidden = false;
        $("acting-subject").focus();
      } catch (error) {
        status.textContent = explain(error);
      }
    });
    complaint.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const input = { subject: $("acting-subject").value, description: $("acting-description").value };
        const answer = (await asResident(session.token, COMPLAIN, { input })).makeComplaint;
        status.textContent = answer.userErrors.length
          ? answer.userErrors.map((e) => e.message).join(" ")
          : `Complaint made for ${customer.name}: reference ${answer.complaint.reference}. Give them this reference.`;
      } catch (error) {
        status.textContent = `Something went wrong: ${error.message}`;
      }
    });
    return [el("h2", {}, "Act for this resident"),
      el("p", {}, "Everything you do is recorded as made for them by you, through the channel you choose, and shows in their access log."),
      start, complaint, status];
  }

  customerExtras.push(actingPanel);
})();
