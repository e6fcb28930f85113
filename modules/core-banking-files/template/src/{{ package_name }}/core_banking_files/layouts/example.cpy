      * Example layout: a monthly account export. Copy it, name your fields, and pass it with --layout.
       01  ACCOUNT-RECORD.
           05  ACCOUNT-ID        PIC X(10).
           05  BRANCH            PIC 9(4).
           05  BALANCE           PIC S9(9)V99 COMP-3.
           05  ARREARS-DAYS      PIC 9(3).
           05  INTEREST-ACCRUED  PIC S9(5)V99.
           05  STATUS-CODE       PIC X(2).
           05  FILLER            PIC X(4).
