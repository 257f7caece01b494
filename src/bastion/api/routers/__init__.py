"""One router per room; each route is one client call through the gate."""
