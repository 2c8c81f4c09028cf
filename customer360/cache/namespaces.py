"""Cache namespaces: one per source operation, shared by the loaders that fill them and the
commands that invalidate them."""

ACCOUNTS_BY_PARTY = "revenues.accounts_by_party"
ACCOUNT_BY_REFERENCE = "revenues.accounts_by_reference"
CLAIMS_BY_CLAIMANT = "benefits.claims_by_claimant"
APPLICATIONS_BY_APPLICANT = "housing.applications_by_applicant"
TENANCIES_BY_APPLICANT = "housing.tenancies_by_applicant"
COMPLAINTS_BY_CONTACT = "crm.complaints_by_contact"
COMPLAINT_BY_REFERENCE = "crm.complaints_by_reference"
CASES_BY_CONTACT = "crm.cases_by_contact"
CRM_SERVICES = "crm.services"
REQUESTS_BY_REPORTER = "street_scene.requests_by_reporter"
REQUEST_BY_ID = "street_scene.requests_by_id"
STREET_SCENE_SERVICES = "street_scene.services"
PAYMENTS_BY_PAYER = "payments.payments_by_payer"
PAYMENT_BY_ID = "payments.payments_by_id"

# Safeguarding data goes from the agency to the member of staff and nowhere else: a namespace under
# this prefix is read straight through, never cached fresh nor kept as a last known copy.
NEVER_CACHED = "safeguarding."
