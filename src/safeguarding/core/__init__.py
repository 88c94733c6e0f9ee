"""What every capability shares: settings, database, calendar, code sets, access policy, audit log, errors."""
