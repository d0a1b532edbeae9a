"""Referral invitations (邀请有礼, DOMAIN.md §8): an inviter's code in a WeCom add's `state` links the invitee;
the inviter is rewarded through the member ledger, once, when the invitee's first order completes unrefunded."""
