/* BILLING.BILL_ACCT  -  legacy billing system (Oracle), nightly export
   Columns follow the old naming standard: cust_no = account number, tel = phone, post_cd = postcode.
   start_dt = date the customer took over the supply. */

CREATE TABLE bill_acct (
  cust_no     CHAR(10)       NOT NULL,
  cust_name   VARCHAR2(100)  NOT NULL,
  tel         VARCHAR2(20),
  email_addr  VARCHAR2(100),
  addr_1      VARCHAR2(60),
  addr_2      VARCHAR2(60),
  town        VARCHAR2(40),
  post_cd     VARCHAR2(8),
  tariff_cd   VARCHAR2(10),
  start_dt    DATE,
  CONSTRAINT pk_bill_acct PRIMARY KEY (cust_no)
);

INSERT INTO bill_acct (cust_no, cust_name, tel, email_addr, addr_1, addr_2, town, post_cd, tariff_cd, start_dt)
  VALUES ('SVW-136902', 'Forest Glade Caravan Park Ltd', '07700900150', 'bookings@forestglade.example.co.uk', 'Speech House Road', NULL, 'Coleford', 'GL16 7EL', 'NHH-STD', TO_DATE('15/03/2010', 'DD/MM/YYYY'));
INSERT INTO bill_acct (cust_no, cust_name, tel, email_addr, addr_1, addr_2, town, post_cd, tariff_cd, start_dt)
  VALUES ('SVW-138114', 'Severnside Self Storage Ltd', '01632960874', 'joanne.price@severnsidestorage.example.co.uk', 'Unit 2', 'Waterwells Drive, Quedgeley', 'Gloucester', 'GL2 2AT', 'NHH-STD', TO_DATE('01/02/2021', 'DD/MM/YYYY'));
INSERT INTO bill_acct (cust_no, cust_name, tel, email_addr, addr_1, addr_2, town, post_cd, tariff_cd, start_dt)
  VALUES ('SVW-141058', 'Abbey Dental Practice', '01632960590', 'reception@abbeydental.example.co.uk', '22 Abbey Road', NULL, 'Evesham', 'WR11 4SB', 'NHH-STD', TO_DATE('15/08/2022', 'DD/MM/YYYY'));
-- closed 2025-06-30, kept for reference only:
-- INSERT INTO bill_acct VALUES ('SVW-099871', 'Evesham Motor Works Ltd', '01632960002', NULL, '5 Brick Kiln Street', NULL, 'Evesham', 'WR11 4AA', 'NHH-STD', TO_DATE('01/02/1999', 'DD/MM/YYYY'));
INSERT INTO bill_acct (cust_no, cust_name, tel, email_addr, addr_1, addr_2, town, post_cd, tariff_cd, start_dt)
  VALUES ('SVW-143377', 'Tewkesbury Marina Ltd', '01632960436', 'office@tewkesburymarina.example.co.uk', 'Bredon Road', NULL, 'Tewkesbury', 'GL20 5BY', 'NHH-STD', TO_DATE('02/05/2023', 'DD/MM/YYYY'));
INSERT INTO bill_acct (cust_no, cust_name, tel, email_addr, addr_1, addr_2, town, post_cd, tariff_cd, start_dt)
  VALUES ('SVW-144920', 'Ledbury Cider Company Ltd', '07700900482', 'orders@ledburycider.example.co.uk', 'Orchard Barn', 'Bromyard Road', 'Ledbury', 'HR8 1LG', 'NHH-AGRI', TO_DATE('20/11/2023', 'DD/MM/YYYY'));
INSERT INTO bill_acct (cust_no, cust_name, tel, email_addr, addr_1, addr_2, town, post_cd, tariff_cd, start_dt)
  VALUES ('SVW-146211', 'Upton Sports & Social Club', '01632960125', NULL, 'Rectory Road', NULL, 'Upton upon Severn', 'WR8 0LX', 'NHH-STD', TO_DATE('01/04/2024', 'DD/MM/YYYY'));

COMMIT;
