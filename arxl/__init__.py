"""arxl: an Excel workbook as a trustworthy Accounts Receivable system of record, kept by Python."""
