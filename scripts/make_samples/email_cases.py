"""The customer-support emails: who writes, when, about what, and in which words.

Each case fixes its category and priority first; the wording then states them plainly
(emergency: "emergency" / "no water at all" / "vulnerable"; high: "urgent" / "asap";
low: "no rush" / "when convenient"; normal: none of those words).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .data import CUST, SUPPORT_ADDR

UTC = dt.timezone.utc
BST = dt.timezone(dt.timedelta(hours=1))
SVW_SIG = "Severn Vale Water Customer Services"


@dataclass
class Case:
    file: str
    account: str                     # whose case it is (golden customer fields come from here)
    date: dt.datetime
    subject: str
    category: str
    priority: str
    body: str
    phone: str | None = None         # the phone number exactly as written in the email, if any
    account_stated: bool = True
    address_stated: bool = True
    html: str = "alt"                # "none": text/plain only, "alt": text + HTML, "only": HTML only
    cc: list = field(default_factory=list)
    attachments: list = field(default_factory=list)   # ("bill", Invoice) | ("photo", filename)
    in_reply_to: str | None = None
    transport_headers: bool = True   # .msg only: keep the internet headers stream
    crlf: bool = False
    mailer: str = "Microsoft Outlook 16.0"

    @property
    def customer(self):
        return CUST[self.account]

    @property
    def fmt(self) -> str:
        return self.file.rsplit(".", 1)[1]


def cases(bills: dict) -> list:
    c = CUST
    hosp, brew, bell, dairy = c["SVW-100318"], c["SVW-118734"], c["SVW-109845"], c["SVW-131207"]
    school, laundry, dental, leisure = c["SVW-133480"], c["SVW-127661"], c["SVW-141058"], c["SVW-122956"]
    storage, caravan, pershore, printw = c["SVW-138114"], c["SVW-136902"], c["SVW-120377"], c["SVW-112640"]
    care, garden = c["SVW-104522"], c["SVW-115092"]
    sv_name, sv_email = SUPPORT_ADDR
    out = []

    out.append(Case(
        "2026-01-07_st-aldhelms_no-water.eml", hosp.account, dt.datetime(2026, 1, 7, 6, 48, 12, tzinfo=UTC),
        "EMERGENCY - no water at St Aldhelm's Community Hospital, Ledbury", "no_supply", "emergency",
        f"""Good morning,

This is an emergency. We have had no water at all at St Aldhelm's Community Hospital since about 06:15 this
morning - no cold water to the wards, the kitchen or the theatre sterilisation unit. We have 38 inpatients on
site, several of them vulnerable and elderly, and we cannot run the boilers or flush toilets.

Site: {hosp.address}, {hosp.postcode}
Account holder: {hosp.name}
Account number: {hosp.account}

Nothing has been dug up near us that we can see. Please send someone immediately and tell us whether a tanker
or bottled water can be arranged while you find the fault. I am on site all day on {hosp.phone}.

Gareth Pryce
Estates & Facilities Manager
{hosp.name}
""", phone=hosp.phone, cc=[("Estates Helpdesk", "estates.helpdesk@valehealth.example.co.uk")]))

    out.append(Case(
        "2026-01-12_marlow-brewing_discoloured-water.eml", brew.account, dt.datetime(2026, 1, 12, 10, 3, 41, tzinfo=UTC),
        "Brown / discoloured water - brewing stopped (acct SVW-118734)", "water_quality", "high",
        f"""Hi,

Since yesterday afternoon the water coming into the brewery has been discoloured - a brown/orange tinge, worst
first thing in the morning. We have had to stop brewing as we cannot use it in the mash and we have a full
order book this week, so this is urgent for us.

Could someone come out asap to take a sample and flush the main? Our address is {brew.address}, {brew.postcode}
and the account is in the name of {brew.name}.

Best to call me on my mobile: +44 7700 900284.

Thanks,
Sam Marlow
Head Brewer, {brew.name}
""", phone="+44 7700 900284", account_stated=True, html="none", mailer="Apple Mail (2.3774)"))

    b = bills["bell"]
    out.append(Case(
        "2026-01-19_old-bell_bill-query.eml", bell.account, dt.datetime(2026, 1, 19, 14, 22, 5, tzinfo=UTC),
        f"Query on bill {b.number}", "billing", "normal",
        f"""Dear Sir/Madam,

Please find attached our latest bill, number {b.number}, for {bell.name} (account {bell.account}).

The total of £{b.total:,.2f} is around a third higher than the same quarter last year, although the hotel was
closed for refurbishment for two weeks in November. Could you check whether the charges are based on an actual
reading or an estimate, and if estimated, re-issue the bill on a real reading?

The property is {bell.address}, {bell.postcode.lower()}. You can reach me on {bell.phone} during office hours.

Kind regards,

Tom Ashworth
Finance Manager
{bell.name}
""", phone=bell.phone, html="none", attachments=[("bill", b)], crlf=True))

    out.append(Case(
        "2026-01-21_greenacre_leak-verge.eml", dairy.account, dt.datetime(2026, 1, 21, 17, 41, 56, tzinfo=UTC),
        "Leak on your pipe by our farm entrance", "leak", "high",
        f"""Hello

There's clean water bubbling up through the verge on Hanley Road right by our farm entrance and running down
the lane. It started this morning and has got a lot worse - it's starting to freeze on the road so please treat
it as urgent before somebody comes off the road.

It looks like it's your side of the meter, not ours. The farm is {dairy.name}, {dairy.address}, {dairy.postcode}.

Ring me on 07700900731 if you need someone to show you where it is.

Rhys Morgan
""", phone="07700900731", account_stated=False, html="none", mailer="Android Mail"))

    out.append(Case(
        "2026-01-26_malvern-primary_meter-reading.eml", school.account, dt.datetime(2026, 1, 26, 15, 12, 30, tzinfo=UTC),
        "Meter reading doesn't match our records", "metering", "low",
        f"""Dear Customer Services,

I'm the business manager at {school.name} (account number {school.account}). Our caretaker read the water meter
on Friday and it shows 04821 m3, but your last statement used a reading of 05170, which is higher than the meter
shows today.

There is no rush with this - whenever is convenient, could someone check the meter serial number on your records
(ours is 19M004417) and confirm which reading is right?

Address: {school.address}, {school.postcode}
Tel: {school.phone}

Many thanks,
Fiona Bell
School Business Manager
""", phone=school.phone))

    b = bills["laundry"]
    orig = dt.datetime(2026, 2, 9, 16, 2, tzinfo=UTC)
    out.append(Case(
        "2026-02-10_spa-laundry_re-disputed-charges.eml", laundry.account, dt.datetime(2026, 2, 10, 8, 57, 19, tzinfo=UTC),
        f"Re: Disputed charges on account {laundry.account}", "billing", "high",
        f"""Hello Daniel,

Thanks for coming back to me, but the attached bill ({b.number}) still shows wastewater charged at 95% return
to sewer. As we explained, around 20% of the water we use leaves site in the finished laundry or evaporates in
the dryers, and we had an allowance agreed in 2023.

Our payment run closes on Friday and the charges are now with our credit control team, so I need this resolved
urgently please - can you put the account on hold until it is corrected?

Maureen Fitch
Finance Director, {laundry.name}
{laundry.address}, {laundry.postcode}
Direct line {laundry.phone}

On Mon, 9 Feb 2026 at 16:02, {sv_name} <{sv_email}> wrote:
> Dear Ms Fitch,
>
> Thank you for your email about the charges on account {laundry.account}.
> I have checked your account and the wastewater charge has been calculated
> on the standard 95% return to sewer. If you believe a lower figure applies
> please send us the details of any non-return allowance and we will review it.
>
> Kind regards
> Daniel Hughes
> {SVW_SIG}
""", phone=laundry.phone, html="none", attachments=[("bill", b)],
        cc=[("Credit Control", "credit.control@spalaundry.example.co.uk")], in_reply_to="<SVW-CS-889214@severnvalewater.example.co.uk>",
        mailer="Mozilla Thunderbird"))

    out.append(Case(
        "2026-02-03_abbey-dental_chlorine-taste.eml", dental.account, dt.datetime(2026, 2, 3, 12, 30, 2, tzinfo=UTC),
        "Strong chlorine taste in tap water", "water_quality", "normal",
        f"""Hello,

For the last few days the cold water at the practice has had a strong chlorine taste and smell, much stronger
than usual. Patients have commented on it when rinsing. Is there work going on in the area, and is the water
safe to drink and to use in our dental units?

Practice: {dental.name}
Address: {dental.address}
Postcode: {dental.postcode}
Account: {dental.account}
Phone: (01632) 960590

Thank you,
Reception team
{dental.name}
""", phone="(01632) 960590", html="none"))

    out.append(Case(
        "2026-02-05_kingsway-leisure_no-water-plant-room.eml", leisure.account, dt.datetime(2026, 2, 5, 7, 5, 44, tzinfo=UTC),
        "URGENT: supply failed at Kingsway Leisure Centre", "no_supply", "high",
        f"""Hi,

Urgent - the incoming supply at Kingsway Leisure Centre failed at around 06:30. Mains pressure in the plant
room is zero so we can't top up the pool or run the showers, and we've had to close to the public this morning.
The café next door still has water so it may just be our connection.

{leisure.name}
{leisure.address}
{leisure.postcode}
Account {leisure.account}

Please can someone call me asap on {leisure.phone}.

Darren Cole
Duty Manager
""", phone=leisure.phone, html="none"))

    out.append(Case(
        "2026-02-11_severnside-storage_contact-details.eml", storage.account, dt.datetime(2026, 2, 11, 11, 18, 9, tzinfo=UTC),
        "Change of billing contact", "other", "low",
        f"""Good morning,

Please could you update the billing contact for {storage.name}, account {storage.account}, at
{storage.address}, {storage.postcode}. From 1 March bills should go to me, Joanne Price, at this email
address rather than to our previous office manager.

No rush on this - any time before the next bill is fine. My number is {storage.phone} if you need to confirm
anything.

Thanks very much,
Joanne Price
Operations Manager
""", phone=storage.phone))

    out.append(Case(
        "2026-02-14_forest-glade_burst-main.eml", caravan.account, dt.datetime(2026, 2, 14, 22, 17, 33, tzinfo=UTC),
        "Burst water main flooding our site entrance - EMERGENCY", "leak", "emergency",
        f"""EMERGENCY - water is gushing out of the ground at the entrance to {caravan.name} on Speech House Road.
It looks like a burst main. The road is flooding and the water is running into two of the static caravans
at the front of the park. We have guests on site including an elderly couple who are being moved.

Address: {caravan.address}, {caravan.postcode}
Customer account no. {caravan.account}

Call me on 07700 900150 - I'm at the gate with a torch.

Neil Harding
Site Owner
""", phone="07700 900150", html="none", cc=[("Forest Glade Bookings", "bookings@forestglade.example.co.uk")],
        mailer="iPhone Mail (21D61)"))

    b = bills["pershore"]
    out.append(Case(
        "2026-02-18_pershore-fresh_direct-debit.eml", pershore.account, dt.datetime(2026, 2, 18, 9, 40, 27, tzinfo=UTC),
        f"Direct debit increase - bill {b.number}", "billing", "normal",
        f"""Dear Severn Vale Water,

We have received the attached bill {b.number} and a letter saying our monthly direct debit will increase from
£290.00 to £405.00 from March. Our usage has not changed much, so please could you explain how the new amount
was calculated and send a breakdown?

Account name: {pershore.name}
Account number: {pershore.account}
Supply address: {pershore.address}, {pershore.postcode}

Regards,
Kasia Nowak
Finance Assistant
Tel {pershore.phone}
""", phone=pershore.phone, attachments=[("bill", b)]))

    out.append(Case(
        "2026-02-23_stroud-print_smart-meter.eml", printw.account, dt.datetime(2026, 2, 23, 13, 51, 8, tzinfo=UTC),
        "Smart meter display blank - please arrange exchange", "metering", "normal",
        f"""Hello,

The display on the smart water meter at our mill has been blank since the weekend and the logger light is off,
so I assume it is no longer sending readings. Please can you arrange for the meter to be checked or exchanged?
The meter is in the chamber just inside the main gate.

{printw.name}
{printw.address}, {printw.postcode}
Account: {printw.account}
Phone: 01632 960 655

Regards,
Priya Nair
Facilities Coordinator
""", phone="01632 960 655", html="only"))

    out.append(Case(
        "2026-03-02_riverside-care_re-water-smell.eml", care.account, dt.datetime(2026, 3, 2, 7, 26, 50, tzinfo=UTC),
        "Re: Water smells of diesel - Riverside House care home", "water_quality", "emergency",
        f"""Hello,

The smell is back and worse this morning - the cold water smells and tastes strongly of diesel or paraffin in
every tap in the building. We are a care home with 42 vulnerable residents and we have stopped all residents
drinking tap water. This is an emergency: we need bottled water delivered today and someone to test the supply.

{care.name}, {care.address}, {care.postcode}
Account {care.account}. Manager's mobile: 01632 960417 (on call 24h).

Helen Okafor
Registered Manager

On 27 Feb 2026, at 15:40, {sv_name} <{sv_email}> wrote:

> Dear Ms Okafor,
>
> Thank you for reporting an unusual smell from the water at Riverside House.
> Our water quality team checked the hydrant on Mill Lane today and the results
> were within normal limits. If the problem returns please let us know straight
> away and we will arrange a sample from your kitchen tap.
>
> Kind regards,
> {SVW_SIG}
>
>> On 26 Feb 2026, at 10:12, Helen Okafor <{care.email}> wrote:
>>
>> Our staff have noticed a smell like diesel from the kitchen taps since this morning.
""", phone="01632 960417", html="none", cc=[("Care Quality Lead", "quality@riversidecare.example.co.uk")],
        in_reply_to="<SVW-CS-891377@severnvalewater.example.co.uk>", mailer="Apple Mail (2.3774)"))

    out.append(Case(
        "2026-04-08_bishops-meadow_planned-interruption.eml", garden.account, dt.datetime(2026, 4, 8, 9, 2, 16, tzinfo=BST),
        "Water off this morning - was this planned work?", "no_supply", "normal",
        f"""Hello,

We arrived this morning to find the water off at the garden centre. Your website mentions planned work on
Ross Road today, but we did not receive a letter or text about an interruption to supply. Could you tell us
when it will be back on? We open to customers at 10:00 and need water for the café and the plant area.

For future planned interruptions please send notice to this address.

Alan Whitlock
{garden.name}
{garden.address}, {garden.postcode}
Account {garden.account} · Mobile {garden.phone}
""", phone=garden.phone, mailer="Microsoft Outlook 16.0"))

    # ------------------------------------------------------------------ Outlook .msg
    b = bills["kingsway"]
    out.append(Case(
        "2026-01-28_kingsway-leisure_backdated-charges.msg", leisure.account, dt.datetime(2026, 1, 28, 11, 36, 0, tzinfo=UTC),
        f"Backdated charges on bill {b.number}", "billing", "high",
        f"""Dear Sir or Madam,

The attached bill {b.number} for {leisure.name} (account {leisure.account}) charges us for six months of usage
going back to July 2025. We were never told that our readings were missing and this has left us with an
unbudgeted bill of £{b.total:,.2f}.

We need an explanation and a payment plan urgently, as our budget for the year is already committed.
Site: {leisure.address}, {leisure.postcode}.

Yours faithfully,
Darren Cole
Duty Manager, Kingsway Leisure Centre
{leisure.phone}
""", phone=leisure.phone, attachments=[("bill", b)]))

    out.append(Case(
        "2026-02-09_old-bell_possible-leak.msg", bell.account, dt.datetime(2026, 2, 9, 16, 45, 0, tzinfo=UTC),
        "Possible leak on our supply pipe", "leak", "normal",
        f"""Hello,

We think there is a leak on the underground supply pipe at the hotel. The meter keeps turning overnight when
everything is switched off, and there is a damp patch in the car park between the meter and the building.

Could you let us know whether you can help locate the leak, or whether we need our own plumber? The hotel is
{bell.name}, {bell.address}, {bell.postcode}; account {bell.account}.

Tom Ashworth
Tel: +44 1632 960188
""", phone="+44 1632 960188", address_stated=True))

    out.append(Case(
        "2026-02-16_malvern-primary_limescale.msg", school.account, dt.datetime(2026, 2, 16, 12, 10, 0, tzinfo=UTC),
        "Question about water hardness", "water_quality", "low",
        f"""Dear Severn Vale Water,

We are replacing the dishwasher in the school kitchen and the installer has asked how hard our water is, as
there is a lot of limescale on the taps. Could you let us know the hardness for {school.postcode} when
convenient? It is not urgent.

{school.name}, {school.address}
Account {school.account}

Thank you,
Fiona Bell
""", phone=None, transport_headers=False))

    out.append(Case(
        "2026-02-27_abbey-dental_no-water.msg", dental.account, dt.datetime(2026, 2, 27, 8, 12, 0, tzinfo=UTC),
        "No water at all - dental practice closed", "no_supply", "emergency",
        f"""Hello,

We have no water at all at {dental.name} this morning - nothing from any tap and the dental units will not
run. We have had to cancel all patients. Please treat this as an emergency and send someone out.

Address: {dental.address}, {dental.postcode}
Account: {dental.account}
Phone: 01632 960590

Dr Imran Sheikh
Principal Dentist
""", phone="01632 960590"))

    out.append(Case(
        "2026-03-05_pershore-fresh_meter-photo.msg", pershore.account, dt.datetime(2026, 3, 5, 14, 3, 0, tzinfo=UTC),
        "RE: Meter reading request - Pershore Fresh Produce", "metering", "normal",
        f"""Hi,

As requested, attached is a photo of our water meter taken this afternoon. The reading is 07 483 m3 and the
serial number on the meter is 21K118803.

Kasia Nowak
{pershore.name}
{pershore.address}, {pershore.postcode}
Tel {pershore.phone}

-----Original Message-----
From: {sv_name} <{sv_email}>
Sent: 04 March 2026 10:21
To: Kasia Nowak <{pershore.email}>
Subject: Meter reading request - Pershore Fresh Produce

Dear Ms Nowak,

To check the direct debit calculation on account {pershore.account} we need an up-to-date meter reading.
Please reply with a photo of the meter showing the dials and the serial number.

Kind regards,
{SVW_SIG}
""", phone=pershore.phone, attachments=[("photo", "IMG_20260305_1402.jpg")],
        in_reply_to="<SVW-CS-893020@severnvalewater.example.co.uk>"))
    return out
