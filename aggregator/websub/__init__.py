"""WebSub (W3C Recommendation, 2018): telling hubs when the published feeds change."""
