"""The GraphQL documents the benchmark sends: the full `me` fan-out, a staff page, a mutation.

Only contract names (CONTRACT.md) are used, so the documents stay valid while the schema grows.
"""

from __future__ import annotations

# Every Customer field, with every per-source sub-field a portal page would show.
CUSTOMER_FIELDS = """
    id name email phone dateOfBirth
    address { line1 line2 town postcode uprn }
    linkedRecords { system recordId confidence }
    councilTaxAccounts {
      id reference band
      propertyAddress { line1 postcode }
      annualCharge { pence formatted }
      balance { pence formatted }
      instalments { dueDate status amount { pence formatted } }
      nextInstalment { dueDate status amount { pence formatted } }
      latestStatement {
        issuedOn periodStart periodEnd
        closingBalance { pence formatted }
        lines { date description kind amount { pence formatted } }
      }
      discounts { id kind status percent startsOn endsOn }
    }
    discounts { id kind status percent startsOn endsOn accountReference }
    benefitClaims { id reference kind status startsOn endsOn weeklyAward { pence formatted } }
    housingApplications { id reference status submittedOn band bedroomsNeeded householdSize }
    requests(first: 20) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id reference serviceCode serviceName status statusNotes submittedAt updatedAt expectedBy
        location { latitude longitude address }
        delivery { state system backOfficeReference attempts }
        history { at status description system }
      } }
    }
    complaints(first: 20) {
      totalCount
      edges { node {
        id reference subject status stage receivedAt acknowledgeBy respondBy acknowledgedAt respondedAt
        delivery { state system backOfficeReference attempts }
      } }
    }
    payments(first: 20) {
      totalCount
      edges { node { id reference status purpose accountReference createdAt amount { pence formatted } } }
    }
"""

ME = "query Me {\n  me {" + CUSTOMER_FIELDS + "  }\n}\n"

STAFF_PAGE = (
    'query StaffPage {\n  searchCustomers(query: "", first: 100) {\n'
    "    pageInfo { hasNextPage endCursor }\n    edges { cursor node {" + CUSTOMER_FIELDS + "    } }\n  }\n}\n"
)

MAKE_COMPLAINT = """
mutation Complain($input: MakeComplaintInput!) {
  makeComplaint(input: $input) {
    complaint { id reference status stage receivedAt acknowledgeBy respondBy delivery { state } }
    userErrors { field code message }
  }
}
"""

COMPLAINT_INPUT = {
    "subject": "Missed bin collection",
    "description": "The green bin on our street was not collected on the scheduled day.",
    "serviceArea": "waste",
    "desiredOutcome": "Collect the bin and confirm the next date.",
}

# The same 100-customer page with one or two fields per back office: every source operation is still
# called (once), but the answer is ~5% of the full page's size. It separates the cost of the fan-out
# from the cost of producing half a megabyte of GraphQL output.
STAFF_PAGE_SUMMARY = """
query StaffPageSummary {
  searchCustomers(query: "", first: 100) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      id name email address { postcode }
      councilTaxAccounts { reference balance { pence } }
      benefitClaims { reference status }
      housingApplications { reference status }
      requests(first: 5) { totalCount }
      complaints(first: 5) { totalCount }
      payments(first: 5) { totalCount }
    } }
  }
}
"""
