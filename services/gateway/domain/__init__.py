"""The gateway's pure rules: who may do what, and what a merchant application must hold."""
