"""What the two API Gateway providers share: API ids and their global index, the invoke-URL
front door, calls to integrations (Lambda, HTTP), JSON error answers, throttling."""
