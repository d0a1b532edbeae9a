"""Store guides (导购): who owns each customer, which orders a guide earned, commission and the leaderboard
(DOMAIN.md §6). Figures are computed on the warehouse; handovers live in the operational store."""
