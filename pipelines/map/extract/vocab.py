"""Role cues, legal forms and the value patterns (dates, amounts, IBAN, e-mail, phone, postcodes)
the finders share. Words listed here name roles, never a schema's fields.
"""

from __future__ import annotations
import re
from pipelines.map.normalize.currency_data import SYMBOLS


ISSUER_CUES = frozenset({
    "supplier", "vendor", "seller", "sold by", "issued by", "issuer", "lieferant", "verkaufer",
    "leverancier", "verkoper", "fournisseur", "vendeur", "proveedor", "fornitore", "sprzedawca",
})


CUSTOMER_CUES = frozenset({
    "bill to", "billed to", "invoice to", "invoiced to", "customer", "customer name", "buyer",
    "sold to", "client", "kunde", "klant", "cliente", "rechnungsempfanger", "nabywca",
})


# Labels that open the customer's address block (besides the customer-role field's aliases).
# Billing labels name the customer on the line below them; delivery labels may name a site.
BILLING_BLOCK_LABELS = (
    "Bill To", "Billed To", "Invoice To", "Invoiced To", "Sold To", "Billing Address",
    "Invoice Address", "Rechnungsadresse", "Rechnungsempfänger", "Factuuradres",
    "Adresse de facturation", "Facturé à", "Facturar a", "Nabywca", "Credit To",
)


DELIVERY_BLOCK_LABELS = (
    "Ship To", "Deliver To", "Delivery Address", "Shipping Address", "Lieferadresse",
    "Afleveradres", "Adresse de livraison", "Odbiorca", "Attn", "Attention",
)


CUSTOMER_BLOCK_LABELS = BILLING_BLOCK_LABELS + DELIVERY_BLOCK_LABELS + (
    "Customer", "Cliente", "Klant", "Kunde", "Destinatario",
)


# A label preceded by one of these belongs to the reader, the customer: "Your VAT number",
# "Ihre USt-IdNr.", "Votre n° TVA", "Uw BTW nummer", "Su NIF", "Vostra P.IVA".
CUSTOMER_POSSESSIVES = frozenset({
    "your", "ihre", "ihr", "ihrer", "ihrem", "ihren", "votre", "vos", "uw", "jouw", "su", "sus", "vuestro",
    "vuestra", "vostro", "vostra", "vs",
})

# Nouns of a bank account: after a possessive ("from your account", "von Ihrem Konto", "sur votre
# compte") the account is the reader's, the one a direct debit takes the amount from.
ACCOUNT_NOUNS = frozenset({
    "account", "bank account", "iban", "konto", "bankkonto", "bankverbindung", "compte", "compte bancaire",
    "rekening", "bankrekening", "conto", "conto corrente", "cuenta", "cuenta bancaria",
})


# Words beside a label that make it another document's or another event's: "Against invoice:",
# "zu Rechnung:", "Original invoice no", "Date de commande :", "Order Date", "Lieferdatum" written
# apart. A value read there is not this document's number or date.
OTHER_DOCUMENT_WORDS = frozenset({
    "against", "original", "related", "referenced", "corrected", "cancelled", "previous", "zu", "zur",
    "bezug", "ursprungliche", "ursprunglichen", "storniert", "associee", "associe", "origine", "initiale",
    "oorspronkelijke", "originele", "gerelateerde", "originale", "collegata", "rettificata", "rectificada",
    "relacionada",
    "order", "delivery", "shipping", "dispatch", "despatch", "print", "printed", "commande", "livraison",
    "expedition", "impression", "bestellung", "lieferung", "versand", "auftrag", "auftrags", "druck",
    "bestelling", "levering", "verzending", "ordine", "consegna", "spedizione", "stampa", "pedido",
    "entrega", "envio", "impresion",
})


# Words of bank details: an "Account" or "No." after them on the line is the bank account's.
BANK_CUES = re.compile(r"(?<!\w)(?:bank|iban|bic|swift|sort\s?code|routing|aba|konto|bankverbindung|banque|rib|banca|"
                       r"banco|bankrekening|rekening)(?!\w)", re.IGNORECASE)


# Blocks of another party than the issuer or the customer, whose ids are not the issuer's.
OTHER_PARTY_BLOCK_LABELS = (
    "Tax Representative", "Fiscal Representative", "Seller Tax Representative", "Fiskalvertreter",
    "Steuerlicher Vertreter", "Représentant fiscal", "Fiscaal vertegenwoordiger", "Rappresentante fiscale",
    "Representante fiscal",
)


# A line above a recipient's name that is not the name ("Herrn" / "Frau" in a German address window).
SALUTATIONS = frozenset({
    "mr", "mrs", "ms", "herrn", "herr", "frau", "firma", "m", "mme", "monsieur", "madame", "dhr", "mevr",
    "de heer", "mevrouw", "sig", "sig.ra", "spett", "spett.le", "sr", "sra", "senor", "senora", "attn",
})


TITLE_CUES = frozenset({"title", "titel", "titre", "titolo", "titulo"})


# Words that name a document type rather than a party ("INVOICE", "Kopie factuur").
# Words on an amount's line that give it another role than the document's total: what was
# handed over, given back, rounded away or counted (receipts print them beside "TOTAL").
PAYMENT_CUES = frozenset({
    "cash", "change", "tendered", "tender", "paid", "payment", "card", "visa", "mastercard", "deposit", "balance",
    "qty", "quantity", "items", "item", "saving", "savings", "discount", "rounding", "adj", "adjustment", "previous",
    "bar", "ruckgeld", "gegeben", "bezahlt", "rabatt", "menge", "anzahlung", "especes", "rendu", "paye", "remise",
    "acompte", "contant", "wisselgeld", "betaald", "korting", "aantal", "efectivo", "cambio", "pagado", "descuento",
    "contanti", "resto", "pagato", "sconto", "quantita",
})

# Words of a line that prints the rounding adjustment between the unrounded and the payable total.
ROUNDING_WORDS = ("rounding", "round off", "rundung", "arrondi", "afronding", "redondeo", "arrotondamento",
                  "arredondamento")

DOC_TYPE_WORDS = frozenset({
    "invoice", "invoices", "tax invoice", "receipt", "bill", "statement", "credit note", "copy",
    "kopie", "copie", "duplicate", "original", "rechnung", "factuur", "facture", "fattura",
    "factura", "faktura", "quote", "quotation", "order", "payment", "proforma",
})


# Document media -> the enum value word that names it (for a "channel"-like enum).
MEDIUM_WORDS = {
    "message/rfc822": ("email", "e-mail", "mail"),
    "application/vnd.ms-outlook": ("email", "e-mail", "mail"),
}


LEGAL_FORM = re.compile(
    r"(?<![\w&])(?:"
    r"(?:Pvt\.?|Private|Pty\.?|Pte\.?)\s+(?:Ltd\.?|Limited)|Ltd\.?|LTD\.?|Limited|LIMITED|L\.?L\.?C\.?|LLP|"
    r"Inc\.?|INC\.?|Incorporated|Corp\.?|Corporation|plc|PLC|Co\.,?\s+Ltd\.?|"
    r"GmbH(?:\s*&\s*Co\.?\s*KG)?|AG|KG(?:aA)?|OHG|e\.\s?K\.|UG|SE|"
    r"B\.\s?V\.?|BV|N\.\s?V\.?|NV|VOF|"
    r"S\.\s?A\.\s?S\.?|SAS|S\.\s?A\.?|SA|SARL|S\.?à\s?r\.?l\.?|Sàrl|EURL|SNC|"
    r"S\.\s?p\.\s?A\.?|SpA|S\.\s?r\.\s?l\.?|Srl|SRL|S\.\s?L\.?|S\.\s?L\.\s?U\.?|"
    r"Oy|Oyj|AB|ASA|AS|A/S|ApS|Sdn\.?\s*Bhd\.?|SDN\.?\s*BHD\.?|S/B|Bhd\.?|BHD\.?|Berhad|BERHAD|Tbk\.?|K\.K\.|"
    r"sp\.\s?z\s?o\.\s?o\.?|spółka\s+akcyjna|S\.\s?A\.|Kft\.?|s\.\s?r\.\s?o\.?|a\.\s?s\.|d\.\s?o\.\s?o\.?"
    r")(?![\w])"
)


# The word "name" in the languages of the labels: a party's "name" that holds it is a label's text
# ("Seller trade name", "Nom commercial", "Customer Name"), a placeholder for the name, not one.
NAME_WORDS = frozenset({"name", "names", "namen", "nom", "noms", "naam", "namen", "nome", "nombre", "nazwa"})


NAME_CONNECTORS = frozenset({"&", "and", "und", "et", "en", "y", "e", "of", "de", "du", "des", "van", "der", "den", "von", "la", "le", "di", "da", "-", "+", "i"})


# Patterns for type-driven finders and for cutting values out of label hits.
_MONTH_WORD = r"[^\W\d_]{3,}\.?"


DATE_RE = re.compile(
    r"(?<![\w/.\-])(?:"
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:\s?(?:Z|[+-]\d{2}:?\d{2}))?)?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
    r"|\d{1,2}(?:st|nd|rd|th|er|\.)?\s?(?:de\s+)?" + _MONTH_WORD + r",?\s+(?:de\s+)?\d{4}"
    r"|\d{1,2}[-/ ][^\W\d_]{3,9}[-/ ](?:\d{4}|\d{2})"
    # the day and the year apart: "JAYA 43650" (a town and its postcode) is no "month 4 3650"
    r"|" + _MONTH_WORD + r"\s+\d{1,2}(?:st|nd|rd|th)?(?:\s*,\s*|\s+)\d{4}"
    r")(?![\w/\-])"
)


TIME_RE = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)")


PERCENT_RE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?\s?%")


CUR = r"(?:[A-Z]{3}|US\$|[$€£¥₹₽₺₩₪]|Rs\.?|zł|kr\.?|Fr\.)"


# every currency sign the normaliser knows ("RM", "Rp", "Kč", "S$"), longest first, beside the codes:
# a receipt prints "RM39.00" with no space, and the sign must not hide the amount
AMOUNT_CUR = r"(?:[A-Z]{3}|" + "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True)) + r")"


AMOUNT_RE = re.compile(
    r"(?<![\w.,/\-])"
    r"(?:[-−–]?(?P<pre>" + AMOUNT_CUR + r")[ \u00a0]{0,3})?"
    r"(?P<num>(?:[-−–]\s?)?\(?(?:\d{1,3}(?:[.,'’\u00a0\u202f]\d{3})+(?:[.,]\d{1,4})?|\d+(?:[.,]\d{1,4})?)\)?)"
    r"(?:\s?(?P<post>" + AMOUNT_CUR + r"|,-|\.-))?"
    r"(?![\w%/])"
)


IBAN_RE = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?![A-Z0-9])")


EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")


PHONE_RE = re.compile(r"(?<![\w+\-/.])(?:\+|00|0|\(\+?\d)[\d \-/().]{7,18}\d(?![\w\-/])")


POSTCODE_RES = (
    re.compile(r"(?<![A-Z0-9])[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}(?![A-Z0-9])"),  # UK
    re.compile(r"(?<!\d)\d{4}\s?[A-Z]{2}(?![A-Za-z0-9])"),  # NL
)


DOMAIN_RE = re.compile(r"(?:https?://)?(?:www\.)?(?:[\w-]+@)?((?:[\w-]+\.)+[a-z]{2,})\b", re.IGNORECASE)


ID_WORDS = frozenset({"number", "no", "nr", "num", "id", "ref", "reference", "nummer", "numero", "code", "n", "#", "°"})


# Words between a label and an identifier: "VAT reg GB 553", "Invoice No. 12", "# 12".
QUALIFIERS = frozenset({"#", "№", "no", "nr", "n°", "n", "°", "", "number", "num", "reg", "registration",
                         "id", "ref", "code", "nummer", "numero", "nro"})


# What a tax line may print before its label: "zzgl. 19 % MwSt.", "+ 20% VAT", "plus 7 % USt.", "dont
# TVA": an operator word and the rate, so the label still opens the line's key.
RATE_PREFIX = re.compile(r"\s*\+?\s*(?:(?:zzgl|zuzgl|inkl|incl|plus|add|dont|davon|incluido|inclusa|"
                         r"compris|including)\.?\s*)?(?:\d{1,2}(?:[.,]\d{1,2})?\s?%\s*)?", re.IGNORECASE)


# A word saying what an amount leaves out, right before a label ("Ohne MwSt.", "excl. VAT", "hors TVA"):
# the amount is not the label's (a price without the tax is no tax).
EXCLUDING = re.compile(r"(?:^|\s)(?:ohne|excl|exkl|excluding|exclusive\s+of|without|hors|sans|exclusief|zonder|senza|sin|"
                       r"net\s+of)\.?\s*(?:\d{1,2}(?:[.,]\d{1,2})?\s?%\s*)?$", re.IGNORECASE)


AMOUNT_LIKE = re.compile(r"[-(]?\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2}\)?")


GROUPED_ID = re.compile(r"[A-Z]{0,3} ?\d+(?: \d+){2,}")
