"""The member system: a double-entry points and stored-value ledger, its earning rules, lots and expiry, OneID
merges and splits, tiers and coupons (DOMAIN.md §3). Lives in the operational store; see docs/loyalty.md."""
