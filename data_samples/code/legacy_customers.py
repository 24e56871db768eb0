"""Customer records kept by the old billing scripts (before the CRM migration in 2019).

Dates are day/month/year. Postcodes were typed in by hand, so the format varies.
"""

CUSTOMERS = [
    {"acct": "SVW-081144", "customer": "Hereford Cattle Market Ltd", "contact_email": "admin@herefordmarket.example.co.uk", "telephone": "01632 960044", "site_address": "Roman Road, Hereford", "post_code": "HR4 9AN", "tariff": "NHH-AGRI", "since": "01/04/1998"},
    {"acct": "SVW-083390", "customer": "Gloucester Docks Brasserie", "contact_email": "info@docksbrasserie.example.co.uk", "telephone": "01632 960271", "site_address": "Llanthony Warehouse, The Docks, Gloucester", "post_code": "GL12EH", "tariff": "NHH-STD", "since": "14/06/2004"},
    {"acct": "SVW-086215", "customer": "Cheltenham Ladies Rowing Club", "telephone": "07700 900066", "site_address": "The Boathouse, Sandford Park, Cheltenham", "post_code": "gl53 7aa", "tariff": "NHH-STD", "since": "01/09/2006"},
    {"acct": "SVW-090377", "customer": "Malvern Spring Bottling Co", "contact_email": "ops@malvernspring.example.co.uk", "telephone": "01632 960390", "site_address": "Wells Road, Malvern Wells", "post_code": "WR14 4PA", "tariff": "NHH-LV", "since": "09/01/1995"},
    {"acct": "SVW-104522", "customer": "Riverside Care Home Ltd", "contact_email": "manager@riversidecare.example.co.uk", "telephone": "01632 960417", "site_address": "Riverside House, 3 Mill Lane, Tewkesbury", "post_code": "GL205RT", "tariff": "NHH-HC", "since": "01/04/2011"},
    {"acct": "SVW-092761", "customer": "Ross-on-Wye Laundrette", "contact_email": "rosslaundrette@example.com", "telephone": "01632 960733", "site_address": "7 Brookend Street, Ross-on-Wye", "post_code": "hr9 7eg", "since": "28/02/2008"},
]


def by_account(acct):
    """Look up one customer record by account number."""
    for c in CUSTOMERS:
        if c["acct"] == acct:
            return c
    return None
