-- Severn Vale Water Ltd - non-household customer master
-- Extract from the CRM reporting database, taken 2026-02-01 for the data migration project.
-- Phone numbers are stored as entered by the contact centre.

CREATE TABLE tariffs (
    tariff_code  VARCHAR(10) PRIMARY KEY,
    description  VARCHAR(80)
);

CREATE TABLE customers (
    account_number  VARCHAR(10)  PRIMARY KEY,   -- SVW-nnnnnn
    name            VARCHAR(120) NOT NULL,
    email           VARCHAR(120),
    phone           VARCHAR(20),
    address         VARCHAR(200),
    postcode        VARCHAR(8),
    tariff          VARCHAR(10)  REFERENCES tariffs (tariff_code),
    customer_since  DATE
);

INSERT INTO customers (account_number, name, email, phone, address, postcode, tariff, customer_since) VALUES
    ('SVW-100318', 'Vale Community Health NHS Trust', 'gareth.pryce@valehealth.example.co.uk', '01632 960512', 'St Aldhelm''s Community Hospital, Hospital Road, Ledbury', 'HR8 2JD', 'NHH-HC', DATE '2003-04-01'),
    ('SVW-104522', 'Riverside Care Home Ltd', 'manager@riversidecare.example.co.uk', '01632 960417', 'Riverside House, 3 Mill Lane, Tewkesbury', 'GL20 5RT', 'NHH-HC', DATE '2011-04-01'),
    ('SVW-109845', 'The Old Bell Hotel Ltd', 'accounts@oldbellhotel.example.co.uk', '01632 960188', '14 Church Street, Tewkesbury', 'GL20 5PA', 'NHH-STD', DATE '2009-10-12'),
    ('SVW-112640', 'Stroud Valley Print Works Ltd', 'p.nair@stroudprint.example.co.uk', '01632 960655', 'Fromeside Mill, London Road, Stroud', 'GL5 2BU', 'NHH-STD', DATE '2014-06-02'),
    ('SVW-115092', 'Bishop''s Meadow Garden Centre Ltd', 'alan@bishopsmeadow.example.co.uk', '07700 900318', 'Ross Road, Hereford', 'HR2 7RL', 'NHH-STD', DATE '2016-03-21'),
    ('SVW-118734', 'Marlow Brewing Co Ltd', 'sam@marlowbrewing.example.co.uk', '07700 900284', 'Unit 4, Brunswick Industrial Estate, Bristol Road, Gloucester', 'GL2 5HP', 'NHH-LV', DATE '2018-09-01');

-- Accounts added after the 2024 migration
INSERT INTO customers VALUES ('SVW-120377', 'Pershore Fresh Produce Ltd', 'finance@pershorefresh.example.co.uk', '01632 960741', 'Station Road, Pershore', 'WR10 2DB', 'NHH-AGRI', '2012-01-16');
INSERT INTO customers VALUES ('SVW-122956', 'Forest of Dean Leisure Trust', 'd.cole@fodleisure.example.co.uk', '01632 960362', 'Kingsway Leisure Centre, Kingsway, Cinderford', 'GL14 2AB', 'NHH-LV', '2007-05-08');
INSERT INTO customers VALUES ('SVW-127661', 'Cheltenham Spa Laundry Services Ltd', 'm.fitch@spalaundry.example.co.uk', '01632 960903', 'Units 9-10, Kingsditch Trading Estate, Cheltenham', 'GL51 9NX', 'NHH-LV', '2015-11-30');
INSERT INTO customers VALUES ('SVW-131207', 'Greenacre Dairy Farms Ltd', 'rhys@greenacredairy.example.co.uk', '07700 900731', 'Greenacre Farm, Hanley Road, Upton upon Severn', 'WR8 0PA', 'NHH-AGRI', '2001-07-01');

CREATE INDEX ix_customers_postcode ON customers (postcode);
