// The match review page: a data steward decides whether two records are one person.
// Shares the dashboard's helpers (staff.js, loaded first) through window.customer360Staff.
"use strict";

(function () {
  const { pages, $, graphql, explain, el, table, show, date, dateTime, percent, number, words, edges, SVG } =
    window.customer360Staff;

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

  pages["match-review"] = {
    start() {
      $("review-more").addEventListener("click", () => loadReview(true));
      $("review-list").addEventListener("click", (event) => {
        const button = event.target.closest("button[data-decision]");
        if (button) decide(button);
      });
    },
    open() {
      show("match-review", "match-review-heading");
      loadReview(false);
    },
  };
})();
