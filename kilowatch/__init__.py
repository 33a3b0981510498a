"""kilowatch"""
